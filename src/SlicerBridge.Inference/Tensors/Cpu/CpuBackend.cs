using System.Numerics.Tensors;

namespace SlicerBridge.Inference.Tensors.Cpu;

/// <summary>The reference backend: packed SGEMM plus vectorised kernels, on all cores.</summary>
public sealed class CpuBackend : ITensorBackend
{
    public static CpuBackend Instance { get; } = new();

    public string Name => $"cpu ({Environment.ProcessorCount} threads, {(System.Runtime.Intrinsics.X86.Fma.IsSupported ? "AVX2+FMA" : "portable SIMD")})";

    public LinearWeights CreateLinear(ReadOnlySpan<float> weightOutIn, int outFeatures, int inFeatures, ReadOnlySpan<float> bias)
    {
        if (weightOutIn.Length != (long)outFeatures * inFeatures)
            throw new ArgumentException($"Linear weight holds {weightOutIn.Length} values, expected {outFeatures}×{inFeatures}.");
        if (bias.Length != 0 && bias.Length != outFeatures)
            throw new ArgumentException($"Linear bias holds {bias.Length} values, expected {outFeatures}.");
        return new CpuLinearWeights
        {
            InFeatures = inFeatures,
            OutFeatures = outFeatures,
            Packed = PackedPanels.FromRowsAsColumns(weightOutIn, outFeatures, inFeatures, inFeatures),
            Bias = bias.Length == 0 ? new float[outFeatures] : bias.ToArray(),
        };
    }

    public void Linear(Tensor x, LinearWeights weights, Tensor y, Activation activation = Activation.None, bool accumulate = false)
    {
        var w = (CpuLinearWeights)weights;
        using var profile = OpProfiler.Measure(OpProfiler.Enabled ? $"Linear {x.Rows}x{w.OutFeatures}x{w.InFeatures}" : "Linear");
        if (x.Columns != w.InFeatures) throw new ArgumentException($"Linear expects {w.InFeatures} input features, got {x}.");
        if (y.Columns != w.OutFeatures || y.Rows != x.Rows) throw new ArgumentException($"Linear output {y} does not match [{x.Rows},{w.OutFeatures}].");
        if (accumulate && activation != Activation.None) throw new ArgumentException("An accumulating Linear takes no activation.");
        Sgemm.Multiply(x.Rows, x.Data, x.Columns, w.Packed, y.Data, y.Columns, accumulate, w.Bias, activation);
    }

    public void LayerNorm(Tensor x, float[] gamma, float[] beta, float eps, Tensor y)
    {
        using var profile = OpProfiler.Measure("LayerNorm");
        int n = x.Columns;
        if (gamma.Length != n || beta.Length != n || y.Length != x.Length) throw new ArgumentException($"LayerNorm over {n} features: parameter or output size mismatch.");
        ForRows(x.Rows, n, r => ElementwiseKernels.LayerNormRow(x.Data.AsSpan(r * n, n), gamma, beta, eps, y.Data.AsSpan(r * n, n)));
    }

    public void Activate(Tensor x, Activation activation)
    {
        using var profile = OpProfiler.Measure("Activate");
        int n = x.Columns;
        ForRows(x.Rows, n, r => ElementwiseKernels.Activate(x.Data.AsSpan(r * n, n), activation));
    }

    public void Add(Tensor x, Tensor y)
    {
        using var profile = OpProfiler.Measure("Add");
        if (x.Length != y.Length) throw new ArgumentException($"Add: {x} and {y} differ in size.");
        TensorPrimitives.Add(x.Data, y.Data, y.Data);
    }

    public void Attention(Tensor q, Tensor k, Tensor v, int heads, Tensor output)
    {
        using var profile = OpProfiler.Measure(OpProfiler.Enabled ? $"Attention {q.Rows}x{k.Rows}x{q.Columns}/{heads}" : "Attention");
        AttentionKernels.MultiHead(q, k, v, heads, output);
    }

    public void RelPosAttention(Tensor qkv, RelPosAttentionSpec spec, Tensor output)
    {
        using var profile = OpProfiler.Measure("RelPosAttention");
        AttentionKernels.RelPos(qkv, spec, output);
    }

    public void Im2Col(Tensor x, int grid, int kernel, int stride, int pad, Tensor output)
    {
        using var profile = OpProfiler.Measure("Im2Col");
        int c = x.Columns;
        if (x.Length != (long)grid * grid * grid * c) throw new ArgumentException($"Im2Col: {x} is not a {grid}³ grid.");
        int outGrid = (grid + 2 * pad - kernel) / stride + 1;
        int rowLength = kernel * kernel * kernel * c;
        if (output.Rows != outGrid * outGrid * outGrid || output.Columns != rowLength)
            throw new ArgumentException($"Im2Col output {output} must be [{outGrid * outGrid * outGrid},{rowLength}].");
        var src = x.Data;
        var dst = output.Data;
        // Padding taps are skipped below, so they must start at zero; without padding every element is written.
        if (pad > 0 || (grid - kernel) % stride != 0) Array.Clear(dst);
        Parallel.For(0, outGrid, o0 =>
        {
            for (int o1 = 0; o1 < outGrid; o1++)
                for (int o2 = 0; o2 < outGrid; o2++)
                {
                    int row = (o0 * outGrid + o1) * outGrid + o2;
                    var outRow = dst.AsSpan(row * rowLength, rowLength);
                    for (int k0 = 0; k0 < kernel; k0++)
                    {
                        int i0 = o0 * stride + k0 - pad;
                        if ((uint)i0 >= (uint)grid) continue;
                        for (int k1 = 0; k1 < kernel; k1++)
                        {
                            int i1 = o1 * stride + k1 - pad;
                            if ((uint)i1 >= (uint)grid) continue;
                            int lo = Math.Max(0, pad - o2 * stride);                       // first k2 inside
                            int hi = Math.Min(kernel, grid - o2 * stride + pad);            // one past the last
                            if (hi <= lo) continue;
                            int i2 = o2 * stride + lo - pad;
                            src.AsSpan(((i0 * grid + i1) * grid + i2) * c, (hi - lo) * c)
                               .CopyTo(outRow.Slice(((k0 * kernel + k1) * kernel + lo) * c));
                        }
                    }
                }
        });
    }

    public void DepthToSpace2(Tensor x, int grid, Tensor output)
    {
        using var profile = OpProfiler.Measure("DepthToSpace2");
        int c = CheckDepthToSpace2(x, grid);
        int g2 = 2 * grid;
        if (output.Rows != g2 * g2 * g2 || output.Columns != c)
            throw new ArgumentException($"DepthToSpace2 output {output} must be [{g2 * g2 * g2},{c}].");
        var src = x.Data;
        var dst = output.Data;
        ForEachTap(grid, (from, to) => src.AsSpan(from * c, c).CopyTo(dst.AsSpan(to * c, c)));
    }

    public void DepthToSpace2Dot(Tensor x, int grid, ReadOnlySpan<float> w, Span<float> output)
    {
        using var profile = OpProfiler.Measure("DepthToSpace2Dot");
        int c = CheckDepthToSpace2(x, grid);
        if (w.Length != c || output.Length != 8 * grid * grid * grid)
            throw new ArgumentException($"DepthToSpace2Dot: |w| = {w.Length} and output {output.Length} do not fit {x} on grid {grid}.");
        var weights = w.ToArray();
        var src = x.Data;
        unsafe
        {
            fixed (float* pinned = output)
            {
                nint dst = (nint)pinned; // spans cannot enter the lambda; the output stays pinned until ForEachTap returns
                ForEachTap(grid, (from, to) => ((float*)dst)[to] = TensorPrimitives.Dot(src.AsSpan(from * c, c), weights));
            }
        }
    }

    /// <summary>Channels per output voxel of a depth-to-space input [G³, 8·C]; throws when the shape does not fit.</summary>
    private static int CheckDepthToSpace2(Tensor x, int grid)
    {
        if (x.Columns % 8 != 0 || x.Rows != grid * grid * grid) throw new ArgumentException($"DepthToSpace2: {x} is not [{grid}³, 8·C].");
        return x.Columns / 8;
    }

    /// <summary>
    /// Visits every (input voxel, tap) of a kernel-2 stride-2 depth-to-space: <paramref name="body"/>(from, to) gets the
    /// index of the C-wide group (α, β, γ) of input row (i, j, k) (counted in groups of C) and of output voxel
    /// (2i+α, 2j+β, 2k+γ). Parallel over i.
    /// </summary>
    private static void ForEachTap(int grid, Action<int, int> body)
    {
        int g2 = 2 * grid;
        Parallel.For(0, grid, i =>
        {
            for (int j = 0; j < grid; j++)
                for (int k = 0; k < grid; k++)
                {
                    int row = (i * grid + j) * grid + k;
                    for (int tap = 0; tap < 8; tap++)
                    {
                        int a = tap >> 2, b = (tap >> 1) & 1, g = tap & 1;
                        body(row * 8 + tap, ((2 * i + a) * g2 + 2 * j + b) * g2 + 2 * k + g);
                    }
                }
        });
    }

    /// <summary>Runs a row kernel over all rows, in parallel when there is enough work.</summary>
    internal static void ForRows(int rows, int columns, Action<int> body)
    {
        if ((long)rows * columns < 32_768 || rows < 4)
        {
            for (int r = 0; r < rows; r++) body(r);
            return;
        }
        int chunks = Math.Min(rows, Environment.ProcessorCount * 4);
        Parallel.For(0, chunks, ch =>
        {
            int r0 = (int)((long)rows * ch / chunks), r1 = (int)((long)rows * (ch + 1) / chunks);
            for (int r = r0; r < r1; r++) body(r);
        });
    }
}
