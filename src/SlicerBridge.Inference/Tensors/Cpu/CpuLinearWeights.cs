namespace SlicerBridge.Inference.Tensors.Cpu;

/// <summary>A Linear layer packed for <see cref="Sgemm"/> (Wᵀ in column panels) plus its bias.</summary>
public sealed class CpuLinearWeights : LinearWeights
{
    public required PackedPanels Packed { get; init; }
    public required float[] Bias { get; init; }
    public override long SizeBytes => Packed.SizeBytes + Bias.Length * sizeof(float);
}
