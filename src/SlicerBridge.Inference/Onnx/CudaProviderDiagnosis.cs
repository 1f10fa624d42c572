using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;

namespace SlicerBridge.Inference.Onnx;

/// <summary>
/// Why the CUDA provider could not be used, in words a user can act on: ONNX Runtime only says "Failed to load shared
/// library", so the provider library is loaded once more here, and the loader's own message names the missing
/// dependency (e.g. "libcublasLt.so.13: cannot open shared object file"). When it loads, the failure was elsewhere
/// (no GPU, a driver too old) and ONNX Runtime's message is kept.
/// </summary>
public static class CudaProviderDiagnosis
{
    public static string Explain(OnnxRuntimeException failure)
    {
        string library = OperatingSystem.IsWindows() ? "onnxruntime_providers_cuda.dll" : "libonnxruntime_providers_cuda.so";
        var path = Candidates(library).FirstOrDefault(File.Exists);
        if (path is null)
            return $"CUDA not usable: this build has no CUDA provider ({library}; the GPU packages ship it for linux-x64 and win-x64)";
        try
        {
            if (NativeLibrary.TryLoad(path, out _)) return $"CUDA not usable: {SessionFactory.FirstLine(failure.Message)}";
            NativeLibrary.Load(path); // throws with the loader's message
            return $"CUDA not usable: {SessionFactory.FirstLine(failure.Message)}";
        }
        catch (DllNotFoundException ex)
        {
            var reason = ex.Message.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Contains("cannot open shared object", StringComparison.Ordinal)
                                                                                            || l.Contains("not found", StringComparison.OrdinalIgnoreCase));
            return $"CUDA provider not loaded: {(reason is null ? SessionFactory.FirstLine(ex.Message) : Trim(reason, path))} (install CUDA 13 and cuDNN 9, or put their libraries on {(OperatingSystem.IsWindows() ? "PATH" : "LD_LIBRARY_PATH")})";
        }
    }

    private static IEnumerable<string> Candidates(string library)
    {
        string rid = RuntimeInformation.RuntimeIdentifier.StartsWith("win", StringComparison.Ordinal) ? "win-x64" : "linux-x64";
        yield return Path.Combine(AppContext.BaseDirectory, library);
        yield return Path.Combine(AppContext.BaseDirectory, "runtimes", rid, "native", library);
    }

    /// <summary>The loader's message without the provider's own path in front of it.</summary>
    private static string Trim(string reason, string path)
    {
        int at = reason.IndexOf(path, StringComparison.Ordinal);
        var rest = at < 0 ? reason : reason[(at + path.Length)..].TrimStart(':', ' ');
        return rest.Length == 0 ? reason : rest;
    }
}
