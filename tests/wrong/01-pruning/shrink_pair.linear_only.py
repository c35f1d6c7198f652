# Always builds nn.Linear layers: a Conv2d pair comes back as the wrong kind of layer.
def shrink_pair(first, second, keep):
    keep = torch.as_tensor(keep, dtype=torch.long)
    units = first.weight.shape[0]
    if keep.numel() == 0 or keep.unique().numel() != keep.numel() or keep.min() < 0 or keep.max() >= units:
        raise ValueError("keep must list distinct unit indices")
    new_first = nn.Linear(first.weight.shape[1], len(keep), bias=first.bias is not None)
    new_second = nn.Linear(len(keep), second.weight.shape[0], bias=second.bias is not None)
    with torch.no_grad():
        new_first.weight.copy_(first.weight[keep].flatten(1))
        if first.bias is not None:
            new_first.bias.copy_(first.bias[keep])
        new_second.weight.copy_(second.weight[:, keep].flatten(1))
        if second.bias is not None:
            new_second.bias.copy_(second.bias)
    return new_first, new_second
