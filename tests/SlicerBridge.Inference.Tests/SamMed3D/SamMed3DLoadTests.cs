using SlicerBridge.Inference.Checkpoints;
using SlicerBridge.Inference.Models.SamMed3D;
using Xunit;

namespace SlicerBridge.Inference.Tests.SamMed3D;

/// <summary>Every key and shape of a configuration is checked before anything is loaded; one message names every problem.</summary>
public sealed class SamMed3DLoadTests
{
    private static readonly SamMed3DConfig Tiny = SamMed3DConfig.Resolve(TestPaths.Fixture("sam-med3d-tiny", "fixture.json"));

    [Fact]
    public void TurboLayoutHasThe324TensorsOfTheSpec()
    {
        var layout = SamMed3DCheckpointLayout.Expected(SamMed3DConfig.Turbo).ToList();
        Assert.Equal(324, layout.Count);
        Assert.Equal(100_509_616, layout.Sum(t => t.Shape.Aggregate(1L, (a, b) => a * b)));
        Assert.Equal(layout.Count, layout.Select(t => t.Name).Distinct().Count());
    }

    [Fact]
    public void TinyFixtureCheckpointMatchesItsLayoutExactly()
    {
        using var ckpt = CheckpointReader.Open(TestPaths.Fixture("sam-med3d-tiny", "checkpoint.pth"));
        var expected = SamMed3DCheckpointLayout.Expected(Tiny).Select(t => t.Name).Order().ToList();
        Assert.Equal(expected, ckpt.Tensors.Select(t => t.Name).Order().ToList());
    }

    [Fact]
    public void MissingKeysAndWrongShapesAreAllNamed()
    {
        var layout = SamMed3DCheckpointLayout.Expected(Tiny)
            .Where(t => t.Name != "mask_decoder.iou_token.weight")
            .Select(t => t.Name == "image_encoder.blocks.0.attn.rel_pos_d" ? (t.Name, new[] { 15, 24 }) : t)
            .ToList();
        using var ckpt = new SeededCheckpoint(layout, 1);
        var ex = Assert.Throws<CheckpointException>(() => SamMed3DNetwork.Load(ckpt, Tiny));
        Assert.Contains("missing 'mask_decoder.iou_token.weight'", ex.Message);
        Assert.Contains("'image_encoder.blocks.0.attn.rel_pos_d' is [15,24], expected [27,24]", ex.Message);
    }

    [Fact]
    public void ExtraKeysAreIgnoredAndSeededWeightsRun()
    {
        var layout = SamMed3DCheckpointLayout.Expected(Tiny).Append(("epoch_counter", new[] { 1 })).ToList();
        using var ckpt = new SeededCheckpoint(layout, 7);
        using var net = SamMed3DNetwork.Load(ckpt, Tiny);
        var crop = new float[128 * 128 * 128];
        var embedding = net.EncodeImage(crop, default);
        var output = net.Decode(embedding, [new SamPoint(64, 64, 64, 1)], []);
        Assert.Equal(32 * 32 * 32, output.LowResLogits.Length);
        Assert.All(output.LowResLogits, v => Assert.True(float.IsFinite(v)));
    }

    [Theory]
    [InlineData("""{"config": {"image_size": 100}}""", "multiple of patch_size")]
    [InlineData("""{"config": {"embed_dim": 100, "num_heads": 12}}""", "multiple of num_heads")]
    [InlineData("""{"config": {"window_size": 4}}""", "several windows")]
    [InlineData("""{"config": {"global_attn_indexes": [12]}}""", "within depth")]
    public void BadConfigurationsAreRejected(string json, string expected)
    {
        string path = Path.Combine(Path.GetTempPath(), $"sb-config-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json);
        try
        {
            var ex = Assert.Throws<ArgumentException>(() => SamMed3DConfig.Resolve(path));
            Assert.Contains(expected, ex.Message);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void PresetsResolve()
    {
        Assert.Same(SamMed3DConfig.Turbo, SamMed3DConfig.Resolve("sam-med3d-turbo"));
        var (ctConfig, ct) = SamMed3DPresets.Resolve("sam-med3d-turbo-ct");
        Assert.Same(SamMed3DConfig.Turbo, ctConfig);
        Assert.Equal((-1000f, 1000f), (ct.ClampMin, ct.ClampMax));
        Assert.Null(SamMed3DPresets.Resolve("sam-med3d-turbo").Pipeline.ClampMin);
        Assert.Throws<ArgumentException>(() => SamMed3DConfig.Resolve("sam-med3d-huge"));
        Assert.Throws<ArgumentException>(() => SamMed3DPresets.Resolve("anything-ct")); // only the named presets
    }
}
