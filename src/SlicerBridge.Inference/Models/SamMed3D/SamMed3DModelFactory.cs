using SlicerBridge.Inference.Onnx;

namespace SlicerBridge.Inference.Models.SamMed3D;

/// <summary>
/// Builds "sam-med3d" models: <see cref="ModelSpec.Checkpoint"/> is the <c>.pth</c> or <c>.safetensors</c> file (required),
/// <see cref="ModelSpec.Config"/> a preset (<c>sam-med3d-turbo</c>, the default, or <c>sam-med3d-turbo-ct</c>) or a JSON
/// file with a <c>config</c> object (as in the fixture) and an optional <c>pipeline</c> object; <see cref="ModelSpec.Device"/>
/// picks the execution provider.
/// </summary>
public sealed class SamMed3DModelFactory : IModelFactory
{
    public string Kind => "sam-med3d";

    public ISegmentationModel Create(ModelSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (string.IsNullOrEmpty(spec.Checkpoint))
            throw new ArgumentException($"Model '{spec.Name}' (sam-med3d) needs a checkpoint: the official sam_med3d_turbo.pth or a .safetensors export.");
        var device = ExecutionDevice.Parse(spec.Device);
        var precision = ModelPrecisionNames.Parse(spec.Precision);
        if (precision == ModelPrecision.Fp16)
        {
            // fp16 is a GPU precision: on the CPU its kernels run through casts, slower than fp32.
            var resolved = SessionFactory.Probe(device);
            if (!resolved.IsGpu)
            {
                if (device.Kind != ExecutionProviderKind.Auto)
                    throw new ArgumentException($"Model '{spec.Name}': fp16 runs on GPUs (cuda, tensorrt); use fp32 on {device}.");
                precision = ModelPrecision.Fp32;
            }
            device = resolved.Device;
        }
        var (config, pipeline) = SamMed3DPresets.Resolve(spec.Config);
        var network = SamMed3DNetwork.Load(spec.Checkpoint, config, device, precision);
        return new SamMed3DModel(spec.Name, network, pipeline, Path.GetFileName(spec.Checkpoint), network.WeightBytes);
    }

    public string RunNetwork(ModelRunRequest request, CancellationToken cancellationToken) => SamMed3DModelRun.Run(request, cancellationToken);

    public void ExportOnnx(ModelSpec spec, string folder)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (string.IsNullOrEmpty(spec.Checkpoint))
            throw new ArgumentException("sam-med3d export needs --checkpoint: the official sam_med3d_turbo.pth or a .safetensors export.");
        var (config, pipeline) = SamMed3DPresets.Resolve(spec.Config);
        SamMed3DExport.Write(spec.Checkpoint, config, pipeline, folder);
    }
}
