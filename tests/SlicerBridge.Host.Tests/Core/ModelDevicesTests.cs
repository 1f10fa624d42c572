using SlicerBridge.Host.Hosting;
using SlicerBridge.Inference.Models;
using SlicerBridge.Inference.Tensors.Cpu;

namespace SlicerBridge.Host.Tests.Core;

public class ModelDevicesTests
{
    private static ModelInfo Info(string kind, bool loaded) => new(kind + "-model", kind, "", loaded, 0);

    [Fact]
    public void Sam_runs_on_the_tensor_backend_and_the_rest_on_plain_cpu()
    {
        Assert.Equal(CpuBackend.Instance.Name, ModelDevices.Of("sam-med3d"));
        Assert.StartsWith("cpu (", ModelDevices.Of("SAM-Med3D"));
        Assert.Equal("cpu", ModelDevices.Of("growcut"));
    }

    [Fact]
    public void The_server_device_comes_from_the_loaded_models()
    {
        Assert.Equal("cpu", ModelDevices.Summarize([]));
        Assert.Equal("cpu", ModelDevices.Summarize([Info("growcut", true), Info("sam-med3d", false)]));
        Assert.Equal(CpuBackend.Instance.Name, ModelDevices.Summarize([Info("growcut", true), Info("sam-med3d", true)]));
        Assert.Equal(CpuBackend.Instance.Name, ModelDevices.Summarize([Info("sam-med3d", true), Info("sam-med3d", true)]));
    }
}
