using SlicerBridge.Inference.Checkpoints;
using SlicerBridge.Inference.Models.SamMed2D;
using Xunit;

namespace SlicerBridge.Inference.Tests.SamMed2D;

/// <summary>The checkpoint layout against the spec's appendices and the fixture's file, and the released file format.</summary>
public sealed class SamMed2DCheckpointTests
{
    [Fact]
    public void ReleasedLayoutHasTheSpecsKeysAndValues()
    {
        var layout = SamMed2DCheckpointLayout.Expected(SamMed2DConfig.Released).ToList();
        Assert.Equal(386, layout.Count);
        Assert.Equal(271_242_032L, layout.Sum(x => x.Shape.Aggregate(1L, (a, b) => a * b)));
        Assert.Equal(layout.Count, layout.Select(x => x.Name).Distinct().Count());
        Assert.Equal([31, 64], layout.Single(x => x.Name == "image_encoder.blocks.11.attn.rel_pos_h").Shape);
        Assert.Equal([27, 64], layout.Single(x => x.Name == "image_encoder.blocks.10.attn.rel_pos_w").Shape);
        Assert.Equal([768, 768, 4, 4], layout.Single(x => x.Name == "image_encoder.blocks.0.Adapter.spatial.2.weight").Shape);
    }

    [Fact]
    public void WithoutAdaptersTheirKeysAreNotRead()
    {
        var layout = SamMed2DCheckpointLayout.Expected(SamMed2DConfig.Released with { EncoderAdapter = false }).ToList();
        Assert.Equal(386 - 12 * 6, layout.Count);
        Assert.DoesNotContain(layout, x => x.Name.Contains(".Adapter.", StringComparison.Ordinal));
    }

    [Fact]
    public void FixtureCheckpointHoldsExactlyTheLayoutInStateDictOrder()
    {
        var config = SamMed2DConfig.FromFile(TestPaths.Fixture(SamMed2DFixture.Family, "fixture.json"));
        using var checkpoint = CheckpointReader.Open(TestPaths.Fixture(SamMed2DFixture.Family, "checkpoint.pth"));
        var expected = SamMed2DCheckpointLayout.Expected(config).ToList();
        Assert.Equal(226, expected.Count);
        Assert.Equal(1_322_666L, expected.Sum(x => x.Shape.Aggregate(1L, (a, b) => a * b)));
        Assert.Equal(expected.Select(x => x.Name), checkpoint.Tensors.Select(t => t.Name));
        CheckpointReader.RequireShapes(checkpoint, expected);
    }

    [Fact]
    public void AMissingAdapterIsAnErrorNotRandomWeights()
    {
        var config = SamMed2DConfig.FromFile(TestPaths.Fixture(SamMed2DFixture.Family, "fixture.json"));
        var withoutOne = SamMed2DCheckpointLayout.Expected(config).Where(x => x.Name != "image_encoder.blocks.2.Adapter.norm.bias");
        using var checkpoint = new SeededCheckpoint(withoutOne, seed: 1);
        var ex = Assert.Throws<CheckpointException>(() => SamMed2DWeights.Load(checkpoint, config));
        Assert.Contains("missing 'image_encoder.blocks.2.Adapter.norm.bias'", ex.Message);
    }

    /// <summary>
    /// The released sam-med2d_b.pth pickles the training optimizer next to the weights (as the fixture does). The
    /// restricted unpickler must get past it without executing anything: opaque placeholders for torch.optim.adam.Adam
    /// (NEWOBJ + BUILD), collections.defaultdict and __builtin__.dict, reading only the tensors under 'model'.
    /// </summary>
    [Fact]
    public void ReleasedFormatLoadsThroughTheCheckpointReader()
    {
        using var checkpoint = CheckpointReader.Open(TestPaths.Fixture(SamMed2DFixture.Family, "checkpoint.pth"));
        var config = SamMed2DConfig.FromFile(TestPaths.Fixture(SamMed2DFixture.Family, "fixture.json"));
        Assert.Equal(SamMed2DCheckpointLayout.Expected(config).Select(x => x.Name), checkpoint.Tensors.Select(t => t.Name));
        // The optimizer's Parameters share their storages with the model: still only the model's names, read in full.
        foreach (var t in checkpoint.Tensors) checkpoint.ReadFloat32(t.Name, new float[t.ElementCount]);
    }
}
