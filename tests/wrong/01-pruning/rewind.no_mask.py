# Rewinds every weight, the pruned ones too: the ticket is the dense initial network again.
def rewind(model, initial_state, masks):
    with torch.no_grad():
        for name, param in model.named_parameters():
            param.copy_(initial_state[name])
    return model
