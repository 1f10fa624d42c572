using SlicerBridge.Inference.Models.SamMed3D;
using SlicerBridge.Inference.Onnx;

namespace SlicerBridge.Inference.Tests.SamMed3D;

/// <summary>
/// A stand-in network with a known answer: the logits are +1 within <see cref="RadiusVoxels"/> crop voxels of the
/// first positive click and −1 elsewhere (or +1 everywhere with <see cref="Everything"/>), so the pipeline's geometry
/// can be checked exactly. Counts encoder and decoder calls.
/// </summary>
internal sealed class FakeSamNetwork : ISamMed3DNetwork
{
    public int ImageSize => 128;
    public int LowResSize => 32;
    public ExecutionChoice Execution { get; } = new(ExecutionDevice.Cpu, null);
    public ModelPrecision Precision => ModelPrecision.Fp32;
    public double RadiusVoxels { get; init; } = 12;
    public bool Everything { get; init; }
    public int EncodeCalls;
    public int DecodeCalls;
    public List<SamPoint[]> DecodedPoints { get; } = [];
    public List<float[]> PromptLogits { get; } = [];

    public SamImageEmbedding EncodeImage(ReadOnlySpan<float> crop, CancellationToken cancellationToken, bool toHost = false)
    {
        Interlocked.Increment(ref EncodeCalls);
        return new SamImageEmbedding(new float[8 * 512], 8, 8);
    }

    public SamDecoderOutput Decode(SamImageEmbedding embedding, ReadOnlySpan<SamPoint> points, ReadOnlySpan<float> previousLowResLogits,
        bool withIntermediates = false, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref DecodeCalls);
        lock (DecodedPoints)
        {
            DecodedPoints.Add(points.ToArray());
            PromptLogits.Add(previousLowResLogits.ToArray());
        }
        var logits = new float[32 * 32 * 32];
        SamPoint? first = null;
        foreach (var p in points) if (p.Label == 1) { first = p; break; }
        for (int a0 = 0; a0 < 32; a0++)
            for (int a1 = 0; a1 < 32; a1++)
                for (int a2 = 0; a2 < 32; a2++)
                {
                    // Low-res voxel centre in crop voxels: (i + 0.5)·4 − 0.5.
                    double c0 = a0 * 4 + 1.5, c1 = a1 * 4 + 1.5, c2 = a2 * 4 + 1.5;
                    bool inside = Everything || (first is { } f &&
                        Math.Pow(c0 - f.A0, 2) + Math.Pow(c1 - f.A1, 2) + Math.Pow(c2 - f.A2, 2) <= RadiusVoxels * RadiusVoxels);
                    logits[(a0 * 32 + a1) * 32 + a2] = inside ? 1 : -1;
                }
        return new SamDecoderOutput { LowResLogits = logits, Iou = 0.5f };
    }

    public void Dispose() { }
}
