using System.Text.Json;
using SlicerBridge.Inference.Checkpoints;
using SlicerBridge.Inference.Models.CtSam3D;
using SlicerBridge.Inference.Onnx;
using Xunit;

namespace SlicerBridge.Inference.Tests.CtSam3D;

/// <summary>The key/shape layout against spec Appendix A and the fixture's state dict, and what the loader refuses.</summary>
public sealed class CtSam3DCheckpointLayoutTests
{
    private static string FixtureJson => TestPaths.Fixture("ct-sam3d-tiny", "fixture.json");

    [Fact]
    public void TinyLayoutIsAppendixA()
    {
        var all = CtSam3DCheckpointLayout.All(CtSam3DConfig.Tiny).ToList();
        Assert.Equal(428, all.Count);
        Assert.Equal(74_023_156, all.Sum(k => k.Shape.Aggregate(1L, (a, b) => a * b)));
        Assert.Equal(63, CtSam3DCheckpointLayout.CrossPatch(CtSam3DConfig.Tiny).Count());
        Assert.Equal(4_807_262, CtSam3DCheckpointLayout.CrossPatch(CtSam3DConfig.Tiny).Sum(k => k.Shape.Aggregate(1L, (a, b) => a * b)));
        Assert.Contains(all, k => k.Name == "image_encoder.stage3.5.mlp.fc2.weight" && k.Shape.SequenceEqual([384, 1536]));
        Assert.DoesNotContain(all, k => k.Name.StartsWith("image_encoder.stage3.6.", StringComparison.Ordinal));
        Assert.DoesNotContain(all, k => k.Name.StartsWith("image_encoder.stage4.", StringComparison.Ordinal) && k.Name.Contains(".attn.sr", StringComparison.Ordinal));
    }

    [Fact]
    public void FixtureLayoutIsTheFixtureStateDictInOrder()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(FixtureJson));
        var expected = doc.RootElement.GetProperty("state_dict").EnumerateArray()
            .Select(e => (e[0].GetString()!, e[1].EnumerateArray().Select(d => d.GetInt32()).ToArray())).ToList();
        var layout = CtSam3DCheckpointLayout.All(CtSam3DConfig.FromFile(FixtureJson)).ToList();
        Assert.Equal(expected.Count, layout.Count);
        // Same keys and shapes; the layout lists the decoder's blocks in the spec's order, the state dict in registration order.
        Assert.Equal(expected.OrderBy(e => e.Item1, StringComparer.Ordinal).Select(e => $"{e.Item1} [{string.Join(",", e.Item2)}]"),
            layout.OrderBy(e => e.Name, StringComparer.Ordinal).Select(e => $"{e.Name} [{string.Join(",", e.Shape)}]"));
    }

    [Fact]
    public void CrossPatchWeightsAreOptional()
    {
        var config = CtSam3DConfig.FromFile(FixtureJson);
        using var checkpoint = new SeededCheckpoint(CtSam3DCheckpointLayout.Required(config), seed: 1);
        using var network = CtSam3DNetwork.Load(checkpoint, config, ExecutionDevice.Cpu);
        Assert.False(network.HasCrossPatch);
        Assert.Throws<InvalidOperationException>(() => network.CrossPatchHeatmap(new float[64 * 64 * 64], new byte[64 * 64 * 64], new float[64 * 64 * 64], CancellationToken.None));
    }

    [Fact]
    public void MissingKeyIsRefusedWithItsName()
    {
        var config = CtSam3DConfig.FromFile(FixtureJson);
        using var checkpoint = new SeededCheckpoint(CtSam3DCheckpointLayout.All(config).Where(k => k.Name != "mask_decoder.spade3.conv_1.bias"), seed: 1);
        var ex = Assert.Throws<CheckpointException>(() => CtSam3DNetwork.Load(checkpoint, config, ExecutionDevice.Cpu));
        Assert.Contains("missing 'mask_decoder.spade3.conv_1.bias'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WrongShapeIsRefused()
    {
        var config = CtSam3DConfig.FromFile(FixtureJson);
        var layout = CtSam3DCheckpointLayout.All(config).Select(k => k.Name == "image_encoder.stage2.1.attn.kv.weight" ? (k.Name, new[] { 32, 32 }) : k);
        using var checkpoint = new SeededCheckpoint(layout, seed: 1);
        var ex = Assert.Throws<CheckpointException>(() => CtSam3DNetwork.Load(checkpoint, config, ExecutionDevice.Cpu));
        Assert.Contains("'image_encoder.stage2.1.attn.kv.weight' is [32,32], expected [64,32]", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ExtraStageBlockOfAnotherVariantIsRefused()
    {
        // restv2_small has the same widths and more stage-3 blocks: the official partial_weight_update would drop them silently.
        var config = CtSam3DConfig.FromFile(FixtureJson);
        var layout = CtSam3DCheckpointLayout.All(config).Append(("image_encoder.stage3.2.norm1.weight", new[] { 64 }));
        using var checkpoint = new SeededCheckpoint(layout, seed: 1);
        var ex = Assert.Throws<CheckpointException>(() => CtSam3DNetwork.Load(checkpoint, config, ExecutionDevice.Cpu));
        Assert.Contains("image_encoder.stage3.2.norm1.weight", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TinyCheckpointDoesNotFitTheFixtureConfiguration()
    {
        using var checkpoint = new SeededCheckpoint(CtSam3DCheckpointLayout.All(CtSam3DConfig.FromFile(FixtureJson)), seed: 1);
        var ex = Assert.Throws<CheckpointException>(() => CtSam3DNetwork.Load(checkpoint, CtSam3DConfig.Tiny, ExecutionDevice.Cpu));
        Assert.Contains("does not match the model configuration", ex.Message, StringComparison.Ordinal);
    }
}
