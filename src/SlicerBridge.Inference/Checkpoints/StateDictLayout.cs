namespace SlicerBridge.Inference.Checkpoints;

/// <summary>
/// Where the tensors sit in a checkpoint: under <c>model_state_dict</c>, <c>state_dict</c> or <c>model</c> when one of
/// them is a dict, else at the top. Nested dicts of tensors (e.g. 3DSAM-adapter's <c>encoder_dict</c>,
/// <c>decoder_dict</c>) are flattened with dotted names; a leading <c>module.</c> (DataParallel) is removed;
/// non-tensor values (epoch, losses, lists) are ignored.
/// </summary>
internal static class StateDictLayout
{
    private static readonly string[] Wrappers = ["model_state_dict", "state_dict", "model"];

    public static Dictionary<string, PickleTensor> Flatten(object? root, string source)
    {
        if (root is not PickleDict top) throw new CheckpointException($"{source}: the checkpoint is not a dict of tensors.");
        foreach (var wrapper in Wrappers)
            if (top.Get(wrapper) is PickleDict inner) { top = inner; break; }
        var result = new Dictionary<string, PickleTensor>(StringComparer.Ordinal);
        Walk(top, "", result);
        if (result.Count == 0) throw new CheckpointException($"{source}: the checkpoint holds no tensors.");
        return result;
    }

    private static void Walk(PickleDict dict, string prefix, Dictionary<string, PickleTensor> into)
    {
        foreach (var (key, value) in dict.Items)
        {
            string name = prefix + Convert.ToString(key, System.Globalization.CultureInfo.InvariantCulture);
            if (name.StartsWith("module.", StringComparison.Ordinal)) name = name["module.".Length..];
            switch (value)
            {
                case PickleTensor t: into[name] = t; break;
                case PickleDict d: Walk(d, name + ".", into); break;
            }
        }
    }
}
