"""The course's nbgrader configuration puts grader.preprocessors's preprocessors in the places of
nbgrader's own, and keeps the rest of nbgrader's lists as they are."""
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbgrader.converters.autograde import Autograde
from nbgrader.converters.generate_feedback import GenerateFeedback
from nbgrader.preprocessors import Execute, GetGrades, LimitOutput
from traitlets.config import Config, PyFileConfigLoader
from traitlets.utils.importstring import import_item

from grader import preprocessors as autograde
from grader.pipeline import ROOT


def _config() -> Config:
    return PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config()


def test_autograde_is_nbgraders_with_the_course_guards():
    configured = [import_item(name) for name in _config().Autograde.autograde_preprocessors]
    swap = {Execute: autograde.GuardedExecute, LimitOutput: autograde.LimitOutputSize}
    default = Autograde.class_traits()["autograde_preprocessors"].default()
    assert configured == [swap.get(p, p) for p in default]


def test_feedback_is_nbgraders_without_hidden_tests():
    configured = [import_item(name) for name in _config().GenerateFeedback.preprocessors]
    assert GenerateFeedback.class_traits()["preprocessors"].default() == [GetGrades,
                                                                          CSSHTMLHeaderPreprocessor]
    assert configured == [GetGrades, autograde.HideHiddenTests, CSSHTMLHeaderPreprocessor]
