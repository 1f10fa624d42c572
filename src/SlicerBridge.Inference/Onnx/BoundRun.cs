using Microsoft.ML.OnnxRuntime;

namespace SlicerBridge.Inference.Onnx;

/// <summary>Runs a session on an IO binding, cancellable: a cancelled token terminates the run in ONNX Runtime.</summary>
public static class BoundRun
{
    public static void Run(InferenceSession session, OrtIoBinding binding, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        using var options = new RunOptions();
        using (cancellationToken.Register(() => options.Terminate = true))
        {
            try { session.RunWithBinding(options, binding); }
            catch (OnnxRuntimeException) when (cancellationToken.IsCancellationRequested)
            {
                throw new OperationCanceledException(cancellationToken);
            }
        }
        binding.SynchronizeBoundOutputs();
    }
}
