using Microsoft.ML.OnnxRuntime;

namespace SlicerBridge.Inference.Onnx;

/// <summary>What a session actually runs on, and why it is not what was asked for (when it is not).</summary>
public sealed record ExecutionChoice(ExecutionDevice Device, string? Fallback)
{
    public bool IsGpu => Device.Kind is ExecutionProviderKind.Cuda or ExecutionProviderKind.TensorRT;

    public override string ToString() => Fallback is null ? Device.ToString() : $"{Device} ({Fallback})";
}

/// <summary>
/// Maps a requested device to ONNX Runtime execution providers: the only place that knows about providers (the graphs
/// do not). <c>auto</c> takes CUDA when its provider library loads and a GPU answers, else the CPU, and says why.
/// </summary>
public static class SessionFactory
{
    static SessionFactory()
    {
        // ONNX Runtime's own logger writes provider-loading failures to stderr; they are reported here, once, as a reason.
        if (!OrtEnv.IsCreated)
        {
            var options = new EnvironmentCreationOptions { logLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL };
            OrtEnv.CreateInstanceWithOptions(ref options);
        }
    }

    /// <summary>Creates a session for <paramref name="model"/> whose weights come from <paramref name="weights"/>.</summary>
    public static (InferenceSession Session, ExecutionChoice Choice) Create(byte[] model, WeightSet weights, ExecutionDevice device)
    {
        if (device.Kind == ExecutionProviderKind.Auto)
        {
            try { return (Build(model, weights, new ExecutionDevice(ExecutionProviderKind.Cuda)), new ExecutionChoice(new ExecutionDevice(ExecutionProviderKind.Cuda), null)); }
            catch (OnnxRuntimeException ex)
            {
                return (Build(model, weights, ExecutionDevice.Cpu), new ExecutionChoice(ExecutionDevice.Cpu, CudaProviderDiagnosis.Explain(ex)));
            }
        }
        try { return (Build(model, weights, device), new ExecutionChoice(device, null)); }
        catch (OnnxRuntimeException ex) when (device.Kind != ExecutionProviderKind.Cpu)
        {
            throw new ArgumentException($"Device {device} is not available: {CudaProviderDiagnosis.Explain(ex)}", ex);
        }
    }

    /// <summary>Which provider <paramref name="device"/> resolves to on this machine (a one-node probe graph).</summary>
    public static ExecutionChoice Probe(ExecutionDevice device)
    {
        using var weights = new WeightSet();
        var g = new GraphBuilder("probe", weights);
        var x = g.Input("x", 1);
        g.Output(g.Add(x, x), "y", 1);
        var (session, choice) = Create(Google.Protobuf.MessageExtensions.ToByteArray(g.Build()), weights, device);
        session.Dispose();
        return choice;
    }

    private static InferenceSession Build(byte[] model, WeightSet weights, ExecutionDevice device)
    {
        using var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            IntraOpNumThreads = Environment.ProcessorCount,
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        };
        // Idle intra-op threads sleep instead of spinning: the server shares its cores with the network, GrowCut and other
        // sessions, and spinning workers lose badly to any other load on the machine.
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", Environment.GetEnvironmentVariable("SLICERBRIDGE_ORT_SPIN") == "1" ? "1" : "0");
        if (Environment.GetEnvironmentVariable("SLICERBRIDGE_ORT_PROFILE") is { Length: > 0 } profile)
        {
            options.EnableProfiling = true;              // per-node timings as JSON (benchmarks only)
            options.ProfileOutputPathPrefix = profile;
        }
        switch (device.Kind)
        {
            case ExecutionProviderKind.Cuda:
                options.AppendExecutionProvider_CUDA(device.DeviceId);
                break;
            case ExecutionProviderKind.TensorRT:
                options.AppendExecutionProvider_Tensorrt(device.DeviceId);
                options.AppendExecutionProvider_CUDA(device.DeviceId);
                break;
            case ExecutionProviderKind.CoreML:
                options.AppendExecutionProvider_CoreML();
                break;
        }
        weights.AddTo(options);
        var session = new InferenceSession(model, options);
        if (device.Kind is ExecutionProviderKind.Cuda or ExecutionProviderKind.TensorRT)
        {
            // Appending the provider succeeds without a GPU; a first allocation on the device tells.
            using var info = new OrtMemoryInfo(OrtMemoryInfo.allocatorCUDA, OrtAllocatorType.DeviceAllocator, device.DeviceId, OrtMemType.Default);
            try { using var allocator = new OrtAllocator(session, info); }
            catch (OnnxRuntimeException) { session.Dispose(); throw; }
        }
        return session;
    }

    internal static string FirstLine(string message)
    {
        var line = message.Split('\n', 2)[0].Trim();
        return line.Length > 200 ? line[..200] + "…" : line;
    }
}
