using SlicerBridge.Inference.Checkpoints;
using SlicerBridge.Inference.Tensors;

namespace SlicerBridge.Inference.Models.SamMed3D;

/// <summary>
/// Reads state-dict tensors one at a time and hands them to the backend in the layout its ops want
/// (convolutions as Linear layers over im2col rows), so the checkpoint is never held twice in memory.
/// </summary>
public sealed class SamWeights(ICheckpoint checkpoint, ITensorBackend backend)
{
    public ITensorBackend Backend { get; } = backend;
    public long LoadedBytes { get; private set; }

    public float[] Read(string name)
    {
        var shape = checkpoint.GetShape(name);
        var values = new float[shape.Aggregate(1L, (a, b) => a * b)];
        checkpoint.ReadFloat32(name, values);
        return values;
    }

    /// <summary>A kept parameter (norm weights, embeddings, tables): counted in the model's memory.</summary>
    public float[] Keep(string name)
    {
        var values = Read(name);
        LoadedBytes += values.Length * sizeof(float);
        return values;
    }

    /// <summary>nn.Linear at <paramref name="prefix"/> (.weight (out, in), .bias).</summary>
    public LinearWeights Linear(string prefix)
    {
        var shape = checkpoint.GetShape(prefix + ".weight");
        var bias = checkpoint.Contains(prefix + ".bias") ? Read(prefix + ".bias") : [];
        return Track(Backend.CreateLinear(Read(prefix + ".weight"), shape[0], shape[1], bias));
    }

    /// <summary>
    /// Conv3d weight (out, in, k0, k1, k2) as a Linear over im2col rows ordered (k0, k1, k2, in)
    /// (see <see cref="ITensorBackend.Im2Col"/>); bias optional.
    /// </summary>
    public LinearWeights Conv3d(string weightName, string? biasName)
    {
        var s = checkpoint.GetShape(weightName);
        int outC = s[0], inC = s[1], taps = s[2] * s[3] * s[4];
        var w = Read(weightName);
        var permuted = new float[w.Length];
        for (int o = 0; o < outC; o++)
            for (int i = 0; i < inC; i++)
                for (int t = 0; t < taps; t++)
                    permuted[(o * taps + t) * inC + i] = w[(o * inC + i) * taps + t];
        return Track(Backend.CreateLinear(permuted, outC, taps * inC, biasName is null ? [] : Read(biasName)));
    }

    /// <summary>
    /// ConvTranspose3d with kernel = stride = 2, weight (in, out, 2, 2, 2), as a Linear producing 8·out columns
    /// ordered (α, β, γ, out), to be scattered by <see cref="ITensorBackend.DepthToSpace2"/>.
    /// </summary>
    public LinearWeights ConvTranspose2(string prefix)
    {
        var s = checkpoint.GetShape(prefix + ".weight");
        int inC = s[0], outC = s[1];
        if (s[2] != 2 || s[3] != 2 || s[4] != 2) throw new CheckpointException($"{prefix}.weight: expected a 2×2×2 kernel.");
        var w = Read(prefix + ".weight");
        var b = Read(prefix + ".bias");
        var rows = new float[8 * outC * inC];
        var bias = new float[8 * outC];
        for (int tap = 0; tap < 8; tap++)
            for (int o = 0; o < outC; o++)
            {
                bias[tap * outC + o] = b[o];
                for (int i = 0; i < inC; i++)
                    rows[(tap * outC + o) * inC + i] = w[(i * outC + o) * 8 + tap];
            }
        return Track(Backend.CreateLinear(rows, 8 * outC, inC, bias));
    }

    private LinearWeights Track(LinearWeights w)
    {
        LoadedBytes += w.SizeBytes;
        return w;
    }
}
