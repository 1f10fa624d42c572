namespace SlicerBridge.Inference.Checkpoints;

/// <summary>
/// Where the tensors sit in a checkpoint: under <c>model_state_dict</c>, <c>state_dict</c> or <c>model</c> when one of
/// them is a dict, else at the top. Nested dicts of tensors (e.g. 3DSAM-adapter's <c>encoder_dict</c>,
/// <c>decoder_dict</c>) are flattened with dotted names; a leading <c>module.</c> (DataParallel) is removed;
/// non-tensor values (epoch, losses, lists) are ignored.
/// </summary>
/// <remarks>
/// The walk is iterative (a stack overflow cannot be caught in .NET), refuses a dict that contains itself, and is
/// bounded in depth, visited entries, tensors and name length: a pickle can share one sub-dict many times over
/// ("billion laughs"), so the number of paths can grow exponentially with the file's size.
/// </remarks>
internal static class StateDictLayout
{
    private static readonly string[] Wrappers = ["model_state_dict", "state_dict", "model"];

    public static Dictionary<string, PickleTensor> Flatten(object? root, string source, CheckpointLimits? limits = null)
    {
        limits ??= CheckpointLimits.Default;
        if (root is not PickleDict top) throw new CheckpointException($"{source}: the checkpoint is not a dict of tensors.");
        foreach (var wrapper in Wrappers)
            if (top.Get(wrapper) is PickleDict inner) { top = inner; break; }

        var result = new Dictionary<string, PickleTensor>(StringComparer.Ordinal);
        var path = new Stack<Frame>();
        var onPath = new HashSet<PickleDict>(ReferenceEqualityComparer.Instance);
        long visited = 0;
        path.Push(new Frame(top, ""));
        onPath.Add(top);
        while (path.Count > 0)
        {
            var frame = path.Peek();
            if (frame.Next == frame.Dict.Items.Count)
            {
                onPath.Remove(path.Pop().Dict);
                continue;
            }
            var (key, value) = frame.Dict.Items[frame.Next++];
            if (++visited > limits.MaxStateDictEntries)
                throw new CheckpointException($"{source}: flattening the state dict visits more than {limits.MaxStateDictEntries} entries (sub-dicts shared many times over); refusing it (limit MaxStateDictEntries).");
            if (value is not (PickleTensor or PickleDict)) continue;

            string keyText = Convert.ToString(key, System.Globalization.CultureInfo.InvariantCulture) ?? "";
            if (frame.Prefix.Length + keyText.Length > limits.MaxNameLength)
                throw new CheckpointException($"{source}: a tensor name under '{Text.Clip(frame.Prefix)}' is longer than {limits.MaxNameLength} characters (limit MaxNameLength).");
            string name = frame.Prefix + keyText;
            if (name.StartsWith("module.", StringComparison.Ordinal)) name = name["module.".Length..];
            if (value is PickleTensor t)
            {
                result[name] = t;
                if (result.Count > limits.MaxTensors)
                    throw new CheckpointException($"{source}: the checkpoint holds more than {limits.MaxTensors} tensors (limit MaxTensors).");
            }
            else if (value is PickleDict d)
            {
                if (!onPath.Add(d))
                    throw new CheckpointException($"{source}: the dict at '{Text.Clip(name)}' contains itself; a state dict is a tree.");
                if (path.Count >= limits.MaxDepth)
                    throw new CheckpointException($"{source}: dicts are nested more than {limits.MaxDepth} deep at '{Text.Clip(name)}' (limit MaxDepth).");
                path.Push(new Frame(d, name + "."));
            }
        }
        if (result.Count == 0) throw new CheckpointException($"{source}: the checkpoint holds no tensors.");
        return result;
    }

    private sealed class Frame(PickleDict dict, string prefix)
    {
        public PickleDict Dict { get; } = dict;
        public string Prefix { get; } = prefix;
        public int Next;
    }
}
