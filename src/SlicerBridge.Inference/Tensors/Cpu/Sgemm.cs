using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SlicerBridge.Inference.Tensors.Cpu;

/// <summary>
/// Single-precision GEMM C[M,N] (+)= A[M,K] · B[K,N], B pre-packed in panels (<see cref="PackedPanels"/>).
/// Blocked in the manner of BLIS/GotoBLAS: K in slices of <see cref="KC"/>, M in blocks of <see cref="MC"/>
/// (A packed into MR-row strips that stay in L2; a KC × NR panel of B, at most 16 KiB, stays in L1 next to the A strip), an MR × NR register-tile micro-kernel (6 × 16 with 256-bit FMA:
/// 12 accumulators). Work is split over the cores by column ranges (rows when there are few columns).
/// </summary>
public static unsafe class Sgemm
{
    public const int MR = 6;
    public const int NR = 16;
    public const int KC = 256;
    public const int MC = 96;
    public const int NC = 512;

    /// <summary>
    /// C = A·B (or C += A·B when <paramref name="accumulate"/>). A is row-major with stride <paramref name="lda"/>,
    /// C with stride <paramref name="ldc"/>. <paramref name="parallel"/> = false keeps the call on the calling thread
    /// (for callers that already parallelise, e.g. over attention heads).
    /// </summary>
    public static void Multiply(int m, ReadOnlySpan<float> a, int lda, PackedPanels b, Span<float> c, int ldc, bool accumulate, bool parallel = true) =>
        Multiply(m, a, lda, b, c, ldc, accumulate, [], Activation.None, parallel);

    /// <summary>
    /// As above, with an epilogue applied to each finished block while it is in cache: C = act(C + bias), bias
    /// (length N) broadcast over rows; the activation runs only without <paramref name="accumulate"/>.
    /// </summary>
    public static void Multiply(int m, ReadOnlySpan<float> a, int lda, PackedPanels b, Span<float> c, int ldc, bool accumulate,
        ReadOnlySpan<float> bias, Activation activation, bool parallel = true)
    {
        int n = b.N, k = b.K;
        if (m == 0 || n == 0) return;
        if (a.Length < (long)(m - 1) * lda + k) throw new ArgumentException("A is smaller than M × K.");
        if (c.Length < (long)(m - 1) * ldc + n) throw new ArgumentException("C is smaller than M × N.");
        if (!bias.IsEmpty && bias.Length != n) throw new ArgumentException($"Bias holds {bias.Length} values, N is {n}.");
        if (accumulate && activation != Activation.None) throw new ArgumentException("An accumulating GEMM takes no activation.");
        if (k == 0)
        {
            for (int i = 0; i < m; i++)
            {
                var row = c.Slice(i * ldc, n);
                if (!accumulate) row.Clear();
                Epilogue(row, bias, activation);
            }
            return;
        }
        long flops = 2L * m * n * k;
        int workers = !parallel || flops < 4_000_000 ? 1 : Environment.ProcessorCount;
        int panels = (n + NR - 1) / NR;
        // Split columns among the cores when each gets at least 24 panels (384 columns) to reuse its packed A over;
        // otherwise rows, so that a narrow GEMM does not pack all of A once per core.
        bool splitColumns = panels >= 24 * workers || m < 2 * MR * workers;
        int parts = Math.Max(1, Math.Min(workers, splitColumns ? panels : (m + MR - 1) / MR));
        fixed (float* pa = a, pc = c, pb = b.Data, pbias = bias)
        {
            var job = new Job(pa, lda, pb, k, n, pc, ldc, m, accumulate, parts, splitColumns, bias.IsEmpty ? null : pbias, activation);
            if (parts == 1) job.Run(0);
            else Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, job.Run);
        }
    }

    private sealed class Job(float* a, int lda, float* b, int k, int n, float* c, int ldc, int m, bool accumulate, int parts, bool splitColumns,
        float* bias, Activation activation)
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Run(int part)
        {
            int panels = (n + NR - 1) / NR, strips = (m + MR - 1) / MR;
            int i0 = 0, i1 = m, j0 = 0, j1 = n;
            if (splitColumns)
            {
                j0 = (int)((long)panels * part / parts) * NR;
                j1 = Math.Min(n, (int)((long)panels * (part + 1) / parts) * NR);
            }
            else
            {
                i0 = (int)((long)strips * part / parts) * MR;
                i1 = Math.Min(m, (int)((long)strips * (part + 1) / parts) * MR);
            }
            float[] packA = ArrayPool<float>.Shared.Rent(MC * KC);
            try
            {
                fixed (float* pA = packA)
                {
                    // Equal K slices of at most KC: a 16 KiB B panel plus a 6 KiB A strip stay in L1 together.
                    int kcStep = (k + (k + KC - 1) / KC - 1) / ((k + KC - 1) / KC);
                    // Columns in chunks of NC and all K slices of one row block back to back: the MC × NC block of C
                    // (at most 192 KiB) stays in L2 while it accumulates over K.
                    for (int jc = j0; jc < j1; jc += NC)
                    {
                        int jcEnd = Math.Min(j1, jc + NC);
                        for (int ib = i0; ib < i1; ib += MC)
                        {
                            int mb = Math.Min(MC, i1 - ib);
                            for (int p0 = 0; p0 < k; p0 += kcStep)
                            {
                                int kc = Math.Min(kcStep, k - p0);
                                bool add = accumulate || p0 > 0;
                                PackA(a + (long)ib * lda + p0, lda, mb, kc, pA);
                                for (int j = jc; j < jcEnd; j += NR)
                                {
                                    float* bp = b + ((long)(j / NR) * k + p0) * NR;
                                    int nr = Math.Min(NR, jcEnd - j);
                                    for (int i = 0; i < mb; i += MR)
                                    {
                                        int mr = Math.Min(MR, mb - i);
                                        float* cp = c + (long)(ib + i) * ldc + j;
                                        if (mr == MR && nr == NR) Kernel(kc, pA + i * kc, bp, cp, ldc, add);
                                        else EdgeKernel(kc, pA + i * kc, bp, cp, ldc, add, mr, nr);
                                    }
                                }
                            }
                            if (bias != null || activation != Activation.None)
                                for (int r = ib; r < ib + mb; r++)
                                    Epilogue(new Span<float>(c + (long)r * ldc + jc, jcEnd - jc),
                                        bias == null ? default : new ReadOnlySpan<float>(bias + jc, jcEnd - jc), activation);
                        }
                    }
                }
            }
            finally
            {
                ArrayPool<float>.Shared.Return(packA);
            }
        }
    }

    /// <summary>row = act(row + bias) on a finished piece of C (bias empty = none).</summary>
    private static void Epilogue(Span<float> row, ReadOnlySpan<float> bias, Activation activation)
    {
        if (!bias.IsEmpty) System.Numerics.Tensors.TensorPrimitives.Add(row, bias, row);
        ElementwiseKernels.Activate(row, activation);
    }

    /// <summary>Packs an mb × kc block of A into MR-row strips: strip s holds kc groups of MR values (zero rows past mb).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackA(float* a, int lda, int mb, int kc, float* dst)
    {
        for (int i = 0; i < mb; i += MR)
        {
            int mr = Math.Min(MR, mb - i);
            float* strip = dst + i * kc;
            if (mr == MR)
            {
                float* r0 = a + (long)i * lda, r1 = r0 + lda, r2 = r1 + lda, r3 = r2 + lda, r4 = r3 + lda, r5 = r4 + lda;
                for (int p = 0; p < kc; p++)
                {
                    float* s = strip + p * MR;
                    s[0] = r0[p]; s[1] = r1[p]; s[2] = r2[p]; s[3] = r3[p]; s[4] = r4[p]; s[5] = r5[p];
                }
            }
            else
            {
                for (int p = 0; p < kc; p++)
                    for (int r = 0; r < MR; r++)
                        strip[p * MR + r] = r < mr ? a[(long)(i + r) * lda + p] : 0f;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Fmadd(Vector256<float> a, Vector256<float> b, Vector256<float> c) =>
        Fma.IsSupported ? Fma.MultiplyAdd(a, b, c) : a * b + c;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel(int kc, float* a, float* b, float* c, int ldc, bool add)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + 8);
            var av = Vector256.Create(a[0]); c00 = Fmadd(av, b0, c00); c01 = Fmadd(av, b1, c01);
            av = Vector256.Create(a[1]); c10 = Fmadd(av, b0, c10); c11 = Fmadd(av, b1, c11);
            av = Vector256.Create(a[2]); c20 = Fmadd(av, b0, c20); c21 = Fmadd(av, b1, c21);
            av = Vector256.Create(a[3]); c30 = Fmadd(av, b0, c30); c31 = Fmadd(av, b1, c31);
            av = Vector256.Create(a[4]); c40 = Fmadd(av, b0, c40); c41 = Fmadd(av, b1, c41);
            av = Vector256.Create(a[5]); c50 = Fmadd(av, b0, c50); c51 = Fmadd(av, b1, c51);
            a += MR;
            b += NR;
        }
        Store(c, c00, c01, add); c += ldc;
        Store(c, c10, c11, add); c += ldc;
        Store(c, c20, c21, add); c += ldc;
        Store(c, c30, c31, add); c += ldc;
        Store(c, c40, c41, add); c += ldc;
        Store(c, c50, c51, add);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* c, Vector256<float> lo, Vector256<float> hi, bool add)
    {
        if (add)
        {
            lo += Vector256.Load(c);
            hi += Vector256.Load(c + 8);
        }
        lo.Store(c);
        hi.Store(c + 8);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void EdgeKernel(int kc, float* a, float* b, float* c, int ldc, bool add, int mr, int nr)
    {
        float* tile = stackalloc float[MR * NR];
        Kernel(kc, a, b, tile, NR, add: false);
        for (int r = 0; r < mr; r++)
        {
            float* dst = c + (long)r * ldc;
            float* src = tile + r * NR;
            if (add) for (int j = 0; j < nr; j++) dst[j] += src[j];
            else for (int j = 0; j < nr; j++) dst[j] = src[j];
        }
    }
}
