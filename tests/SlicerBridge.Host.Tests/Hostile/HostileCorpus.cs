namespace SlicerBridge.Host.Tests.Hostile;

/// <summary>Every hostile-input case, by family (docs/security.md describes the families and how to run them).</summary>
internal static class HostileCorpus
{
    public static IReadOnlyList<HostileCase> All { get; } =
    [
        .. PickleAttacks.Cases,
        .. ZipAttacks.Cases,
        .. SafetensorsAttacks.Cases,
        .. NiftiAttacks.Cases,
        .. NrrdAttacks.Cases,
        .. NpyAttacks.Cases,
    ];

    public static HostileCase ById(string id) => All.Single(c => c.Id == id);

    /// <summary>A small valid NIfTI volume (8³ uint8) to hand the segment command when the checkpoint is under test.</summary>
    public static string SmallVolume(string folder)
    {
        string path = Path.Combine(folder, "small.nii");
        var g = Inference.Volumes.VolumeGeometry.AxisAligned(8, 8, 8, new(1, 1, 1), new(0, 0, 0));
        Inference.IO.VolumeFile.WriteMask(path, new byte[g.VoxelCount], g);
        return path;
    }

    /// <summary>Runner arguments: segment <paramref name="volume"/> with the growcut model.</summary>
    public static string[] Segment(string folder, string volume) =>
        ["cli", "segment", "--input", volume, "--point", "1,1,1", "--output", Path.Combine(folder, "mask.nii.gz")];

    /// <summary>Runner arguments: segment a small volume with SAM-Med3D (tiny fixture configuration) from <paramref name="checkpoint"/>.</summary>
    public static string[] SegmentWithCheckpoint(string folder, string checkpoint) =>
        ["cli", "segment", "--input", SmallVolume(folder), "--point", "1,1,1", "--output", Path.Combine(folder, "mask.nii.gz"),
         "--model", "sam-med3d", "--checkpoint", checkpoint, "--config", Support.SharedFixtures.SamMed3DTiny("fixture.json")];

    /// <summary>Runner arguments: model-run on the tiny fixture's crop with <paramref name="checkpoint"/>, or on <paramref name="crop"/>.</summary>
    public static string[] ModelRun(string folder, string? checkpoint = null, string? crop = null) =>
        ["cli", "model-run", "--checkpoint", checkpoint ?? Support.SharedFixtures.SamMed3DTiny("checkpoint.pth"),
         "--config", Support.SharedFixtures.SamMed3DTiny("fixture.json"), "--input", crop ?? Support.SharedFixtures.SamMed3DTiny("input_crop.npy"),
         "--out-dir", Path.Combine(folder, "out")];

    public static string Write(string folder, string name, byte[] content)
    {
        string path = Path.Combine(folder, name);
        File.WriteAllBytes(path, content);
        return path;
    }
}
