using SlicerBridge.Inference.Onnx;
using Xunit;

namespace SlicerBridge.Inference.Tests.Onnx;

public sealed class ExecutionDeviceTests
{
    [Theory]
    [InlineData(null, ExecutionProviderKind.Auto, 0, "auto")]
    [InlineData("", ExecutionProviderKind.Auto, 0, "auto")]
    [InlineData("CPU", ExecutionProviderKind.Cpu, 0, "cpu")]
    [InlineData("cuda", ExecutionProviderKind.Cuda, 0, "cuda:0")]
    [InlineData("cuda:3", ExecutionProviderKind.Cuda, 3, "cuda:3")]
    [InlineData("tensorrt:1", ExecutionProviderKind.TensorRT, 1, "tensorrt:1")]
    [InlineData("coreml", ExecutionProviderKind.CoreML, 0, "coreml")]
    public void Parses_the_documented_forms(string? text, ExecutionProviderKind kind, int id, string canonical)
    {
        var device = ExecutionDevice.Parse(text);
        Assert.Equal(kind, device.Kind);
        Assert.Equal(id, device.DeviceId);
        Assert.Equal(canonical, device.ToString());
    }

    [Theory]
    [InlineData("vulkan")]
    [InlineData("cuda:")]
    [InlineData("cuda:-1")]
    [InlineData("cuda:x")]
    [InlineData("cuda:64")]
    [InlineData("cpu:0")]
    [InlineData("cuda:0:1")]
    public void Rejects_anything_else_with_the_syntax_in_the_message(string text)
    {
        var ex = Assert.Throws<ArgumentException>(() => ExecutionDevice.Parse(text));
        Assert.Contains(ExecutionDevice.Syntax, ex.Message);
    }

    [Fact]
    public void Auto_resolves_to_cuda_or_says_why_it_runs_on_the_cpu()
    {
        var choice = SessionFactory.Probe(ExecutionDevice.Auto);
        if (choice.IsGpu) Assert.Null(choice.Fallback);
        else
        {
            Assert.Equal(ExecutionProviderKind.Cpu, choice.Device.Kind);
            // This project's machines have no CUDA libraries: the loader's own words name the missing one.
            Assert.Matches("^CUDA (provider not loaded: .*lib\\S+\\.so|not usable: )", choice.Fallback);
        }
    }

    [Fact]
    public void An_explicit_gpu_that_is_not_there_is_an_error_not_a_silent_cpu_run()
    {
        if (SessionFactory.Probe(ExecutionDevice.Auto).IsGpu) return; // this machine has one: nothing to refuse
        var ex = Assert.Throws<ArgumentException>(() => SessionFactory.Probe(ExecutionDevice.Parse("cuda:0")));
        Assert.StartsWith("Device cuda:0 is not available: CUDA ", ex.Message);
    }
}
