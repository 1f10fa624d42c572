using SlicerBridge.Inference.IO;
using SlicerBridge.Inference.Models;
using SlicerBridge.Inference.Models.SamMed2D;
using Xunit;

namespace SlicerBridge.Inference.Tests.SamMed2D;

/// <summary><c>model-run --model sam-med2d --config fixture.json</c>: every case and prompt, under the fixture's file names.</summary>
public sealed class SamMed2DModelRunTests(SamMed2DFixture fixture) : IClassFixture<SamMed2DFixture>, IDisposable
{
    private readonly string _out = Directory.CreateTempSubdirectory("sb-sam2d-run-").FullName;

    public void Dispose() => Directory.Delete(_out, recursive: true);

    [Fact]
    public void WritesEveryFixtureFileWithItsShape()
    {
        string summary = new SamMed2DModelFactory().RunNetwork(new ModelRunRequest(fixture.CheckpointPath, fixture.ConfigPath, null, _out, [], "cpu"), default);
        Assert.Contains("3 case(s), 15 prompt(s)", summary);
        var expectedFiles = Directory.GetFiles(fixture.Dir, "*.npy").Select(Path.GetFileName).Where(f => !f!.EndsWith("_image_u8.npy", StringComparison.Ordinal)).ToList();
        Assert.Equal(1 + 3 * 2 + 15 * 7 + 6, expectedFiles.Count);   // dense PE; input, embedding per case; 7 per prompt; 6 mask prompts
        foreach (var file in expectedFiles)
        {
            string ours = Path.Combine(_out, file!);
            Assert.True(File.Exists(ours), $"model-run did not write {file}");
            var expected = NpyFile.Read(fixture.File(file!));
            var actual = NpyFile.Read(ours);
            Assert.Equal(expected.Shape, actual.Shape);
            Assert.Equal(expected.Descr, actual.Descr);
        }
        // The values are the predictor's (checked in depth by the parity tests): one decoder output and one mask.
        var lowRes = NpyFile.Read(Path.Combine(_out, "mrihr_p4_lowres.npy")).ToFloat32();
        var reference = NpyFile.Read(fixture.File("mrihr_p4_lowres.npy")).ToFloat32();
        float scale = reference.Max(MathF.Abs);
        Assert.All(lowRes.Zip(reference), p => Assert.True(MathF.Abs(p.First - p.Second) <= 1e-3f * scale));
        Assert.True(File.Exists(Path.Combine(_out, "results.json")) && File.Exists(Path.Combine(_out, "timings.json")));
    }

    [Fact]
    public void AnImageOutsideTheConfigsFolderIsRefused()
    {
        string config = Path.Combine(_out, "plan.json");
        File.WriteAllText(config, """{"config": {"encoder_embed_dim": 80}, "cases": [{"name": "x", "files": {"image": "../elsewhere.npy"}, "prompts": []}]}""");
        var ex = Assert.Throws<ArgumentException>(() => SamMed2DRunPlan.Read(config));
        Assert.Contains("not inside the config's folder", ex.Message);
    }

    [Fact]
    public void InputAndPointsAreRefusedWithAReason()
    {
        var ex = Assert.Throws<ArgumentException>(() => new SamMed2DModelFactory().RunNetwork(
            new ModelRunRequest(fixture.CheckpointPath, fixture.ConfigPath, "crop.npy", _out, []), default));
        Assert.Contains("--config", ex.Message);
    }
}
