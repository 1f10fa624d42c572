using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SlicerBridge.Inference.Tensors.Cpu;

/// <summary>Vectorised element-wise and row kernels of the CPU backend.</summary>
public static class ElementwiseKernels
{
    /// <summary>In-place activation.</summary>
    public static void Activate(Span<float> x, Activation activation)
    {
        switch (activation)
        {
            case Activation.None: return;
            case Activation.Relu: TensorPrimitives.Max(x, 0f, x); return;
            case Activation.Gelu: Gelu(x); return;
            default: throw new ArgumentOutOfRangeException(nameof(activation));
        }
    }

    /// <summary>
    /// Exact-form GELU, 0.5·x·(1 + erf(x/√2)). erf uses Abramowitz–Stegun 7.1.26 (absolute error ≤ 1.5e-7),
    /// so the result differs from PyTorch's by at most about 1e-7·|x|.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Gelu(Span<float> x)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 16 <= x.Length; i += 16)
            {
                var v0 = Vector256.Create<float>(x.Slice(i, 8));
                var v1 = Vector256.Create<float>(x.Slice(i + 8, 8));
                GeluVector(v0).CopyTo(x.Slice(i, 8));
                GeluVector(v1).CopyTo(x.Slice(i + 8, 8));
            }
            for (; i + 8 <= x.Length; i += 8)
                GeluVector(Vector256.Create<float>(x.Slice(i, 8))).CopyTo(x.Slice(i, 8));
        }
        for (; i < x.Length; i++) x[i] = GeluScalar(x[i]);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> GeluVector(Vector256<float> x)
    {
        var z = x * Vector256.Create(0.70710678118654752f);
        var az = Vector256.Abs(z);
        var t = Vector256<float>.One / Fmadd(Vector256.Create(0.3275911f), az, Vector256<float>.One);
        var poly = Vector256.Create(1.061405429f);
        poly = Fmadd(poly, t, Vector256.Create(-1.453152027f));
        poly = Fmadd(poly, t, Vector256.Create(1.421413741f));
        poly = Fmadd(poly, t, Vector256.Create(-0.284496736f));
        poly = Fmadd(poly, t, Vector256.Create(0.254829592f));
        poly *= t;
        var erfAbs = Vector256<float>.One - poly * Exp(-(az * az));
        var erf = Vector256.ConditionalSelect(Vector256.LessThan(z, Vector256<float>.Zero), -erfAbs, erfAbs);
        return Vector256.Create(0.5f) * x * (Vector256<float>.One + erf);
    }

    /// <summary>
    /// e^x for 8 floats: x = n·ln2 + r with |r| ≤ ln2/2, e^r by its degree-7 Taylor polynomial (relative error
    /// below 2e-8 before rounding), 2^n through the exponent bits. Inputs below −87.3 give 0, above 88.7 +inf.
    /// (The runtime's Vector256.Exp is several times slower here.)
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exp(Vector256<float> x)
    {
        var tooSmall = Vector256.LessThan(x, Vector256.Create(-87.33654f));
        x = Vector256.Min(x, Vector256.Create(88.72283f));
        x = Vector256.Max(x, Vector256.Create(-87.33654f));
        var n = Vector256.Round(x * Vector256.Create(1.44269504088896341f));
        var r = x - n * Vector256.Create(0.693359375f);          // ln2 split in two for an exact n·ln2_hi
        r -= n * Vector256.Create(-2.12194440e-4f);
        // Estrin's scheme: the terms pair up independently, so the chain is 3 FMAs deep instead of 7.
        var r2 = r * r;
        var p01 = Fmadd(r, Vector256<float>.One, Vector256<float>.One);
        var p23 = Fmadd(r, Vector256.Create(1f / 6), Vector256.Create(0.5f));
        var p45 = Fmadd(r, Vector256.Create(1f / 120), Vector256.Create(1f / 24));
        var p67 = Fmadd(r, Vector256.Create(1f / 5040), Vector256.Create(1f / 720));
        var r4 = r2 * r2;
        var p = Fmadd(Fmadd(p67, r2, p45), r4, Fmadd(p23, r2, p01));
        var scale = Vector256.ShiftLeft(Vector256.ConvertToInt32(n) + Vector256.Create(127), 23).AsSingle();
        return Vector256.ConditionalSelect(tooSmall, Vector256<float>.Zero, p * scale);
    }

    /// <summary>In-place e^x over a span (vectorised <see cref="Exp(Vector256{float})"/>, scalar tail).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Exp(Span<float> x)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
            for (; i + 8 <= x.Length; i += 8)
                Exp(Vector256.Create<float>(x.Slice(i, 8))).CopyTo(x.Slice(i, 8));
        for (; i < x.Length; i++) x[i] = MathF.Exp(x[i]);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Fmadd(Vector256<float> a, Vector256<float> b, Vector256<float> c) =>
        System.Runtime.Intrinsics.X86.Fma.IsSupported ? System.Runtime.Intrinsics.X86.Fma.MultiplyAdd(a, b, c) : a * b + c;

    public static float GeluScalar(float x)
    {
        float z = x * 0.70710678118654752f;
        float az = MathF.Abs(z);
        float t = 1f / (1f + 0.3275911f * az);
        float poly = ((((1.061405429f * t - 1.453152027f) * t + 1.421413741f) * t - 0.284496736f) * t + 0.254829592f) * t;
        float erfAbs = 1f - poly * MathF.Exp(-az * az);
        return 0.5f * x * (1f + (z < 0 ? -erfAbs : erfAbs));
    }

    /// <summary>LayerNorm of one row: population variance, eps inside the square root.</summary>
    public static void LayerNormRow(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, float eps, Span<float> y)
    {
        int n = x.Length;
        float mean = TensorPrimitives.Sum(x) / n;
        // Two-pass variance over the centred row (avoids E[x²]−E[x]² cancellation); y may alias x.
        TensorPrimitives.Add(x, -mean, y);
        double sq = TensorPrimitives.SumOfSquares(y);
        float inv = (float)(1.0 / Math.Sqrt(sq / n + eps));
        TensorPrimitives.Multiply(y, inv, y);
        TensorPrimitives.MultiplyAdd(y, gamma, beta, y);
    }

    /// <summary>In-place softmax of one row (max-shifted).</summary>
    public static void SoftmaxRow(Span<float> row)
    {
        if (row.Length < 32)
        {
            // Short rows (attention over a handful of tokens): plain loops beat the vector calls' fixed costs.
            float m = float.NegativeInfinity;
            foreach (float v in row) m = MathF.Max(m, v);
            float total = 0;
            for (int i = 0; i < row.Length; i++) total += row[i] = MathF.Exp(row[i] - m);
            float scale = 1f / total;
            for (int i = 0; i < row.Length; i++) row[i] *= scale;
            return;
        }
        float max = TensorPrimitives.Max(row);
        TensorPrimitives.Subtract(row, max, row);
        Exp(row);
        float sum = TensorPrimitives.Sum(row);
        TensorPrimitives.Multiply(row, 1f / sum, row);
    }
}
