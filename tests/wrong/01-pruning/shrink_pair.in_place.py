# Shrinks the original layers in place and returns them: the caller's network is changed.
def shrink_pair(first, second, keep):
    keep = torch.as_tensor(keep, dtype=torch.long)
    units = first.weight.shape[0]
    if keep.numel() == 0 or keep.unique().numel() != keep.numel() or keep.min() < 0 or keep.max() >= units:
        raise ValueError("keep must list distinct unit indices")
    with torch.no_grad():
        first.weight = nn.Parameter(first.weight[keep].clone())
        if first.bias is not None:
            first.bias = nn.Parameter(first.bias[keep].clone())
        second.weight = nn.Parameter(second.weight[:, keep].clone())
    if isinstance(first, nn.Linear):
        first.out_features = second.in_features = len(keep)
    else:
        first.out_channels = second.in_channels = len(keep)
    return first, second
