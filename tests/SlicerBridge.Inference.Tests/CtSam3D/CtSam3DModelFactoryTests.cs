using SlicerBridge.Inference.Models;
using SlicerBridge.Inference.Models.CtSam3D;
using Xunit;

namespace SlicerBridge.Inference.Tests.CtSam3D;

/// <summary>What the "ct-sam3d" factory refuses before loading anything, with a message that says why.</summary>
public sealed class CtSam3DModelFactoryTests
{
    private static string Fixture(string file) => TestPaths.Fixture("ct-sam3d-tiny", file);

    [Fact]
    public void NeedsACheckpoint()
    {
        var ex = Assert.Throws<ArgumentException>(() => new CtSam3DModelFactory().Create(new ModelSpec("ct", "ct-sam3d")));
        Assert.Contains("needs a checkpoint", ex.Message);
    }

    [Fact]
    public void RefusesFp16InsteadOfIgnoringIt()
    {
        var ex = Assert.Throws<ArgumentException>(() => new CtSam3DModelFactory().Create(
            new ModelSpec("ct", "ct-sam3d", Fixture("checkpoint.pth"), Fixture("fixture.json"), "cpu", "fp16")));
        Assert.Contains("fp32 only", ex.Message);
    }

    [Fact]
    public void UnknownPresetIsNamed()
    {
        var ex = Assert.Throws<ArgumentException>(() => new CtSam3DModelFactory().Create(
            new ModelSpec("ct", "ct-sam3d", Fixture("checkpoint.pth"), "restv2_small", "cpu")));
        Assert.Contains("ct-sam3d-tiny", ex.Message);
    }

    [Fact]
    public void FixtureConfigurationLoadsOnTheCpu()
    {
        using var model = new CtSam3DModelFactory().Create(new ModelSpec("ct", "ct-sam3d", Fixture("checkpoint.pth"), Fixture("fixture.json"), "cpu"));
        Assert.StartsWith("cpu fp32", model.Device);
        Assert.Contains("up to 4 patches", model.Description);
        Assert.True(model.WeightBytes > 0);
    }
}
