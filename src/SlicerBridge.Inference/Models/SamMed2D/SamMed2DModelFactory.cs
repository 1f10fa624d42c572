using SlicerBridge.Inference.Onnx;

namespace SlicerBridge.Inference.Models.SamMed2D;

/// <summary>
/// Builds "sam-med2d" models: <see cref="ModelSpec.Checkpoint"/> is the official <c>sam-med2d_b.pth</c> or a .safetensors
/// export (required); <see cref="ModelSpec.Config"/> is empty or <c>sam-med2d-b</c> (the released network), or a JSON file
/// with a <c>config</c> object (as in the fixture); <see cref="ModelSpec.Device"/> picks the execution provider.
/// </summary>
public sealed class SamMed2DModelFactory : IModelFactory
{
    public string Kind => "sam-med2d";

    public ISegmentationModel Create(ModelSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (string.IsNullOrEmpty(spec.Checkpoint))
            throw new ArgumentException($"Model '{spec.Name}' (sam-med2d) needs a checkpoint: the official sam-med2d_b.pth or a .safetensors export.");
        var config = SamMed2DConfig.Resolve(spec.Config);
        var network = SamMed2DNetwork.Load(spec.Checkpoint, config, ExecutionDevice.Parse(spec.Device));
        return new SamMed2DModel(spec.Name, network, Path.GetFileName(spec.Checkpoint), network.WeightBytes);
    }

    public string RunNetwork(ModelRunRequest request, CancellationToken cancellationToken) => SamMed2DModelRun.Run(request, cancellationToken);

    public void ExportOnnx(ModelSpec spec, string folder)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (string.IsNullOrEmpty(spec.Checkpoint))
            throw new ArgumentException("sam-med2d export needs --checkpoint: the official sam-med2d_b.pth or a .safetensors export.");
        SamMed2DExport.Write(spec.Checkpoint, SamMed2DConfig.Resolve(spec.Config), folder);
    }
}
