using SlicerBridge.Host.Cli;
using SlicerBridge.Host.Tests.Support;
using SlicerBridge.Inference.IO;
using SlicerBridge.Inference.Models.SamMed3D;
using SlicerBridge.Inference.Volumes;

namespace SlicerBridge.Host.Tests.Cli;

/// <summary><c>model-run</c> reproduces the tiny SAM-Med3D fixture; <c>segment --model sam-med3d</c> runs end to end.</summary>
public sealed class SamMed3DCliTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("sb-sam-").FullName;
    private static string FixtureDir => Path.GetDirectoryName(SharedFixtures.SamMed3DTiny("fixture.json"))!;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private int Run(string checkpoint, string config, string input, string[] points, TextWriter stdout, TextWriter stderr, string model = "sam-med3d") =>
        ModelRunCommand.Run(Hosting.ModelFactories.BuiltIn(), model, new Inference.Models.ModelRunRequest(checkpoint, config, input, _folder, points, "cpu"),
            stdout, stderr, CancellationToken.None);

    [Fact]
    public void ModelRunReproducesTheFixtureFiles()
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = Run(Path.Combine(FixtureDir, "checkpoint.pth"), Path.Combine(FixtureDir, "fixture.json"),
            Path.Combine(FixtureDir, "input_crop.npy"), [], stdout, stderr);
        Assert.True(code == 0, stderr.ToString());
        string[] names = ["image_embedding.npy", "dense_pe.npy",
            .. Enumerable.Range(1, 3).SelectMany(k => new[] { $"click{k}_sparse.npy", $"click{k}_dense.npy", $"click{k}_lowres_logits.npy", $"click{k}_iou.npy" })];
        foreach (var name in names)
        {
            var expected = NpyFile.Read(Path.Combine(FixtureDir, name));
            var actual = NpyFile.Read(Path.Combine(_folder, name));
            Assert.Equal(expected.Shape, actual.Shape);
            var e = expected.ToFloat32();
            var a = actual.ToFloat32();
            double max = e.Zip(a, (x, y) => (double)Math.Abs(x - y)).Max();
            Assert.True(max <= 1e-4, $"{name}: max abs diff {max}");
        }
        for (int k = 1; k <= 3; k++)
        {
            var expected = NpyFile.Read(Path.Combine(FixtureDir, $"click{k}_mask.npy")).Data;
            var actual = NpyFile.Read(Path.Combine(_folder, $"click{k}_mask.npy")).Data;
            Assert.True(expected.Zip(actual).Count(p => p.First == p.Second) >= 0.999 * expected.Length, $"click{k}_mask differs");
        }
        string timings = File.ReadAllText(Path.Combine(_folder, "timings.json"));
        Assert.Contains("\"encoder_ms\"", timings);
        Assert.Contains("\"decoder_ms\"", timings);
        Assert.Contains("3 click(s)", stdout.ToString());
    }

    [Fact]
    public void ModelRunTakesPointsAndRejectsBadInput()
    {
        string ckpt = Path.Combine(FixtureDir, "checkpoint.pth"), cfg = Path.Combine(FixtureDir, "fixture.json"), crop = Path.Combine(FixtureDir, "input_crop.npy");
        var err = new StringWriter();
        Assert.Equal(0, Run(ckpt, cfg, crop, ["64,64,64", "10,10,10,0"], TextWriter.Null, err));
        Assert.Equal([3, 48], NpyFile.Read(Path.Combine(_folder, "click2_sparse.npy")).Shape);
        Assert.False(File.Exists(Path.Combine(_folder, "click3_sparse.npy")));

        err = new StringWriter();
        Assert.Equal(2, Run(ckpt, cfg, crop, ["64,64"], TextWriter.Null, err));
        Assert.Contains("--point", err.ToString());

        err = new StringWriter();   // the tiny checkpoint does not fit the turbo preset: every mismatch is named
        Assert.Equal(1, Run(ckpt, "sam-med3d-turbo", crop, [], TextWriter.Null, err));
        Assert.Contains("does not match the model configuration", err.ToString());
        Assert.Contains("image_encoder.pos_embed", err.ToString());

        string small = Path.Combine(_folder, "small.npy");
        NpyFile.WriteFloat32(small, new float[8 * 8 * 8], 8, 8, 8);
        err = new StringWriter();
        Assert.Equal(2, Run(ckpt, cfg, small, [], TextWriter.Null, err));
        Assert.Contains("expected (128,128,128)", err.ToString());

        err = new StringWriter();
        Assert.Equal(2, Run(ckpt, cfg, crop, [], TextWriter.Null, err, model: "growcut"));
        Assert.Contains("no network to run", err.ToString());
        err = new StringWriter();
        Assert.Equal(2, Run(ckpt, cfg, crop, [], TextWriter.Null, err, model: "nnunet"));
        Assert.Contains("unknown model kind 'nnunet'", err.ToString());
    }

    [Fact]
    public async Task SegmentWithSamMed3DWritesAMaskOnTheInputGrid()
    {
        // A 1 mm volume with a bright ball, LPS-ordered as DICOM-derived files are; the tiny network's weights are random,
        // so only the plumbing is checked: exit code, mask grid, mask not empty, summary.
        double cs = Math.Cos(0.2), sn = Math.Sin(0.2);
        var g = new VolumeGeometry(80, 80, 60, new Vec3(-cs, -sn, 0), new Vec3(sn, -cs, 0), new Vec3(0, 0, 1.5), new Vec3(30, 40, -20));
        var voxels = new float[g.VoxelCount];
        var centre = g.IjkToRasPoint(new Vec3(40, 40, 30));
        for (int k = 0; k < g.SizeK; k++)
            for (int j = 0; j < g.SizeJ; j++)
                for (int i = 0; i < g.SizeI; i++)
                    voxels[g.Index(i, j, k)] = (g.IjkToRasPoint(new Vec3(i, j, k)) - centre).Length < 15 ? 400 : 50 + (i + 2 * j + 3 * k) % 7;
        string input = Path.Combine(_folder, "ball.nrrd");
        VolumeFile.WriteFloat32(input, new Volume(g, voxels));
        string output = Path.Combine(_folder, "ball_seg.nii.gz");
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        string point = FormattableString.Invariant($"{centre.X},{centre.Y},{centre.Z}");
        int code = await SegmentCommand.RunAsync(
            new SegmentArguments(input, output, [point], "sam-med3d", Path.Combine(FixtureDir, "checkpoint.pth"), Path.Combine(FixtureDir, "fixture.json")),
            [new SamMed3DModelFactory()], stdout, stderr, CancellationToken.None);
        Assert.True(code == 0, stderr.ToString());
        var mask = VolumeFile.Read(output);
        Assert.True(mask.Geometry.Equals(g) || MaxMatrixDifference(mask.Geometry, g) < 1e-4, $"mask geometry {mask.Geometry} differs from {g}");
        Assert.Contains("voxels", stdout.ToString());
        Assert.All(mask.Voxels, v => Assert.True(v is 0 or 1));
    }

    [Fact]
    public async Task SegmentWithSamMed3DWithoutCheckpointFailsClearly()
    {
        var g = VolumeGeometry.AxisAligned(10, 10, 10, new Vec3(1, 1, 1), new Vec3(0, 0, 0));
        string input = Path.Combine(_folder, "v.nii.gz");
        VolumeFile.WriteFloat32(input, new Volume(g, new float[1000]));
        var stderr = new StringWriter();
        int code = await SegmentCommand.RunAsync(new SegmentArguments(input, Path.Combine(_folder, "m.nii.gz"), ["5,5,5"], "sam-med3d"),
            [new SamMed3DModelFactory()], TextWriter.Null, stderr, CancellationToken.None);
        Assert.Equal(SegmentCommand.ExitFailed, code);
        Assert.Contains("needs a checkpoint", stderr.ToString());
    }

    private static double MaxMatrixDifference(VolumeGeometry a, VolumeGeometry b)
    {
        double max = 0;
        for (int i = 0; i < 12; i++) max = Math.Max(max, Math.Abs(a.IjkToRas[i] - b.IjkToRas[i]));
        return max;
    }
}
