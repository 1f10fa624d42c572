using SlicerBridge.Inference.Onnx;

namespace SlicerBridge.Inference.Models.CtSam3D;

/// <summary>
/// Builds "ct-sam3d" models: <see cref="ModelSpec.Checkpoint"/> is the official <c>params.pth</c> (or a .safetensors
/// export; required), <see cref="ModelSpec.Config"/> the preset <c>ct-sam3d-tiny</c> (the default) or a JSON file with a
/// <c>config</c> object (as in the fixture) and an optional <c>pipeline</c> object; <see cref="ModelSpec.Device"/> picks
/// the execution provider.
/// </summary>
public sealed class CtSam3DModelFactory : IModelFactory
{
    public string Kind => "ct-sam3d";

    public ISegmentationModel Create(ModelSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (string.IsNullOrEmpty(spec.Checkpoint))
            throw new ArgumentException($"Model '{spec.Name}' (ct-sam3d) needs a checkpoint: the official params.pth (ModelScope xiuan123/CT-SAM3D) or a .safetensors export.");
        RequireFp32(spec.Precision);
        var device = ExecutionDevice.Parse(spec.Device);
        var (config, pipeline) = CtSam3DPresets.Resolve(spec.Config);
        var network = CtSam3DNetwork.Load(spec.Checkpoint, config, device);
        return new CtSam3DModel(spec.Name, network, pipeline, Path.GetFileName(spec.Checkpoint));
    }

    public string RunNetwork(ModelRunRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        RequireFp32(request.Precision);
        return CtSam3DModelRun.Run(request, cancellationToken);
    }

    /// <summary>The CT-SAM3D graphs are built in fp32 only (no fp16 variant yet): any other precision is refused, not ignored.</summary>
    private static void RequireFp32(string precision)
    {
        if (ModelPrecisionNames.Parse(precision) != ModelPrecision.Fp32)
            throw new ArgumentException($"ct-sam3d runs in fp32 only; precision '{precision}' is not available for it.");
    }

    public void ExportOnnx(ModelSpec spec, string folder)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (string.IsNullOrEmpty(spec.Checkpoint))
            throw new ArgumentException("ct-sam3d export needs --checkpoint: the official params.pth or a .safetensors export.");
        var (config, pipeline) = CtSam3DPresets.Resolve(spec.Config);
        CtSam3DExport.Write(spec.Checkpoint, config, pipeline, folder);
    }
}
