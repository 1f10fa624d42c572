namespace SlicerBridge.Inference.Checkpoints;

/// <summary>Opens a checkpoint by content: a zip archive is a PyTorch checkpoint, anything else is tried as safetensors.</summary>
public static class CheckpointReader
{
    public static ICheckpoint Open(string path)
    {
        if (!File.Exists(path)) throw new CheckpointException($"Checkpoint '{path}' does not exist.");
        Span<byte> magic = stackalloc byte[4];
        using (var f = File.OpenRead(path))
            if (f.Read(magic) < 4) throw new CheckpointException($"{path}: too short to be a checkpoint.");
        if (magic[0] == (byte)'P' && magic[1] == (byte)'K') return new TorchZipCheckpoint(path);
        if (magic[0] == 0x80) throw new CheckpointException($"{path}: a legacy (pre-1.6, non-zip) PyTorch file; re-save it with torch.save (zip format) or as safetensors.");
        return new SafetensorsCheckpoint(path);
    }

    /// <summary>Checks that every expected tensor exists with the expected shape; one message lists every problem.</summary>
    public static void RequireShapes(ICheckpoint checkpoint, IEnumerable<(string Name, int[] Shape)> expected)
    {
        var problems = new List<string>();
        foreach (var (name, shape) in expected)
        {
            if (!checkpoint.Contains(name)) { problems.Add($"missing '{name}'"); continue; }
            var actual = checkpoint.GetShape(name);
            if (!actual.SequenceEqual(shape))
                problems.Add($"'{name}' is [{string.Join(",", actual)}], expected [{string.Join(",", shape)}]");
        }
        if (problems.Count > 0)
            throw new CheckpointException($"{checkpoint.Source} does not match the model configuration: {string.Join("; ", problems.Take(20))}" +
                (problems.Count > 20 ? $"; and {problems.Count - 20} more" : "") + ".");
    }
}
