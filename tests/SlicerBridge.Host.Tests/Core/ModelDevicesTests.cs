using SlicerBridge.Host.Hosting;
using SlicerBridge.Inference.Models;

namespace SlicerBridge.Host.Tests.Core;

public class ModelDevicesTests
{
    private static ModelInfo Info(string kind, bool loaded, string? device) => new(kind + "-model", kind, "", loaded, 0, 0, device);

    [Fact]
    public void A_loaded_model_reports_its_own_device_and_an_unloaded_one_none()
    {
        Assert.Equal("cuda:0 fp32", ModelDevices.Of(Info("sam-med3d", true, "cuda:0 fp32")));
        Assert.Equal("cpu", ModelDevices.Of(Info("growcut", true, null)));
        Assert.Null(ModelDevices.Of(Info("sam-med3d", false, null)));
    }

    [Fact]
    public void The_server_device_comes_from_the_loaded_models()
    {
        Assert.Equal("cpu", ModelDevices.Summarize([]));
        Assert.Equal("cpu", ModelDevices.Summarize([Info("growcut", true, "cpu"), Info("sam-med3d", false, null)]));
        Assert.Equal("cpu fp32", ModelDevices.Summarize([Info("growcut", true, "cpu"), Info("sam-med3d", true, "cpu fp32")]));
        Assert.Equal("cuda:0 fp32", ModelDevices.Summarize([Info("sam-med3d", true, "cuda:0 fp32"), Info("sam2", true, "cuda:0 fp32")]));
    }
}
