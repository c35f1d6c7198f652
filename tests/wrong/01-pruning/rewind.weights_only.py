# Rewinds only the masked weights and leaves the trained biases in place.
def rewind(model, initial_state, masks):
    with torch.no_grad():
        for name, mask in masks.items():
            param = model.get_parameter(name)
            param.copy_(initial_state[name] * mask)
    return model
