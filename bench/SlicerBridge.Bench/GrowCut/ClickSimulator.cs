using SlicerBridge.Inference.Models;
using SlicerBridge.Inference.Volumes;

namespace SlicerBridge.Bench.GrowCut;

/// <summary>
/// Simulated user clicks for mask-based evaluation: a click goes to the most interior voxel (maximum of the
/// distance to the region's outside, in mm) of a region; corrections go to the largest connected (26-)
/// false-negative or false-positive component.
/// </summary>
internal static class ClickSimulator
{
    /// <summary>The RAS position of the voxel of <paramref name="region"/> farthest from its outside.</summary>
    public static Vec3 MostInterior(VolumeGeometry g, byte[] region)
    {
        float[] distance = ChamferDistance(g, region);
        long best = -1;
        for (long n = 0; n < distance.LongLength; n++)
            if (region[n] != 0 && (best < 0 || distance[n] > distance[best])) best = n;
        if (best < 0) throw new InvalidOperationException("Empty region: nowhere to click.");
        int i = (int)(best % g.SizeI), j = (int)(best / g.SizeI % g.SizeJ), k = (int)(best / ((long)g.SizeI * g.SizeJ));
        return g.IjkToRasPoint(new Vec3(i, j, k));
    }

    /// <summary>The next corrective click: into the largest error component, positive when it is missed structure.</summary>
    public static PromptPoint? Correction(VolumeGeometry g, byte[] truth, byte[] prediction)
    {
        var missed = new byte[truth.Length];
        var extra = new byte[truth.Length];
        for (int n = 0; n < truth.Length; n++)
        {
            missed[n] = (byte)(truth[n] & (prediction[n] ^ 1));
            extra[n] = (byte)(prediction[n] & (truth[n] ^ 1));
        }
        var (missedComponent, missedSize) = LargestComponent(g, missed);
        var (extraComponent, extraSize) = LargestComponent(g, extra);
        if (missedSize == 0 && extraSize == 0) return null;
        return missedSize >= extraSize
            ? new PromptPoint(MostInterior(g, missedComponent), true)
            : new PromptPoint(MostInterior(g, extraComponent), false);
    }

    public static double Dice(byte[] a, byte[] b)
    {
        long both = 0, sa = 0, sb = 0;
        for (int n = 0; n < a.Length; n++) { sa += a[n]; sb += b[n]; both += a[n] & b[n]; }
        return sa + sb == 0 ? 1 : 2.0 * both / (sa + sb);
    }

    /// <summary>Two-pass 26-neighbour chamfer distance (mm, spacing-weighted) from each region voxel to the nearest non-region voxel.</summary>
    private static float[] ChamferDistance(VolumeGeometry g, byte[] region)
    {
        int ni = g.SizeI, nj = g.SizeJ, nk = g.SizeK;
        var d = new float[region.Length];
        for (int n = 0; n < d.Length; n++) d[n] = region[n] != 0 ? float.PositiveInfinity : 0;
        var forward = new List<(int Di, int Dj, int Dk, float Cost)>();
        for (int dk = -1; dk <= 0; dk++)
            for (int dj = -1; dj <= 1; dj++)
                for (int di = -1; di <= 1; di++)
                {
                    if (dk == 0 && (dj > 0 || (dj == 0 && di >= 0))) continue; // only neighbours already visited in raster order
                    forward.Add((di, dj, dk, (float)(g.ColumnI * di + g.ColumnJ * dj + g.ColumnK * dk).Length));
                }
        float Sweep(int i, int j, int k, int sign)
        {
            float best = d[g.Index(i, j, k)];
            foreach (var (di, dj, dk, cost) in forward)
            {
                int a = i + sign * di, b = j + sign * dj, c = k + sign * dk;
                // Outside the grid counts as outside the region (distance 0 there).
                float neighbour = (uint)a < (uint)ni && (uint)b < (uint)nj && (uint)c < (uint)nk ? d[g.Index(a, b, c)] : 0;
                best = Math.Min(best, neighbour + cost);
            }
            return best;
        }
        for (int k = 0; k < nk; k++)
            for (int j = 0; j < nj; j++)
                for (int i = 0; i < ni; i++)
                    if (region[g.Index(i, j, k)] != 0) d[g.Index(i, j, k)] = Sweep(i, j, k, 1);
        for (int k = nk - 1; k >= 0; k--)
            for (int j = nj - 1; j >= 0; j--)
                for (int i = ni - 1; i >= 0; i--)
                    if (region[g.Index(i, j, k)] != 0) d[g.Index(i, j, k)] = Sweep(i, j, k, -1);
        return d;
    }

    private static (byte[] Component, long Size) LargestComponent(VolumeGeometry g, byte[] mask)
    {
        var labels = new int[mask.Length];
        int bestLabel = 0, next = 0;
        long bestSize = 0;
        var stack = new Stack<long>();
        for (long seed = 0; seed < mask.LongLength; seed++)
        {
            if (mask[seed] == 0 || labels[seed] != 0) continue;
            int label = ++next;
            long size = 0;
            labels[seed] = label;
            stack.Push(seed);
            while (stack.TryPop(out long n))
            {
                size++;
                int i = (int)(n % g.SizeI), j = (int)(n / g.SizeI % g.SizeJ), k = (int)(n / ((long)g.SizeI * g.SizeJ));
                for (int dk = -1; dk <= 1; dk++)
                    for (int dj = -1; dj <= 1; dj++)
                        for (int di = -1; di <= 1; di++)
                        {
                            if (!g.Contains(i + di, j + dj, k + dk)) continue;
                            long m = g.Index(i + di, j + dj, k + dk);
                            if (mask[m] != 0 && labels[m] == 0) { labels[m] = label; stack.Push(m); }
                        }
            }
            if (size > bestSize) { bestSize = size; bestLabel = label; }
        }
        var component = new byte[mask.Length];
        for (long n = 0; n < mask.LongLength; n++) component[n] = labels[n] == bestLabel && bestLabel != 0 ? (byte)1 : (byte)0;
        return (component, bestSize);
    }
}
