namespace SlicerBridge.Inference.Checkpoints;

/// <summary>
/// Opens a checkpoint by content: a zip archive is a PyTorch checkpoint, anything else is tried as safetensors.
/// Checkpoints come from the internet: everything a reader does is bounded by <see cref="CheckpointLimits"/>, and every
/// problem with the file is a <see cref="CheckpointException"/> with a one-line reason.
/// </summary>
public static class CheckpointReader
{
    public static ICheckpoint Open(string path, CheckpointLimits? limits = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        IO.RegularFile.Require(path, reason => new CheckpointException($"Checkpoint '{path}' {reason}."));
        try
        {
            Span<byte> magic = stackalloc byte[4];
            using (var f = File.OpenRead(path))
                if (f.ReadAtLeast(magic, 4, throwOnEndOfStream: false) < 4) throw new CheckpointException($"{path}: too short to be a checkpoint.");
            if (magic[0] == (byte)'P' && magic[1] == (byte)'K') return new TorchZipCheckpoint(path, limits);
            if (magic[0] == 0x80) throw new CheckpointException($"{path}: a legacy (pre-1.6, non-zip) PyTorch file; re-save it with torch.save (zip format) or as safetensors.");
            return new SafetensorsCheckpoint(path, limits);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CheckpointException($"{path}: cannot be read ({Text.Clip(ex.Message, 200)}).", ex);
        }
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
