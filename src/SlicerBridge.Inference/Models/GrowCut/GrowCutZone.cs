using SlicerBridge.Inference.Volumes;

namespace SlicerBridge.Inference.Models.GrowCut;

/// <summary>
/// The zone of influence of one click: a ball in millimetres around it (in the padded layout of the work region) and
/// optionally an intensity band on the 3×3×3 mean intensity (<see cref="LocalMean"/>, so that single noisy voxels do not
/// fall out of it). A click may relabel only voxels inside its zone, which keeps its effect local and bounded.
/// </summary>
internal sealed class GrowCutZone
{
    private readonly GrowCutRegion _region;
    private readonly double _ci, _cj, _ck;           // centre in padded index coordinates
    private readonly double _gii, _gjj, _gkk, _gij, _gik, _gjk; // metric tensor of the IJK-to-RAS columns (mm² per index²)
    private readonly int _padIJ;

    private readonly float[]? _intensity;
    private readonly int[]? _neighbourhood;

    private readonly (float Low, float High) _valueBand, _meanBand;

    public GrowCutZone(VolumeGeometry g, GrowCutRegion region, Vec3 centreRas, double radiusMm)
        : this(g, region, centreRas, radiusMm, null, default, default) { }

    /// <summary>A zone that also requires a voxel's intensity to lie in <paramref name="valueBand"/> or its 3×3×3 mean in <paramref name="meanBand"/>.</summary>
    public GrowCutZone(VolumeGeometry g, GrowCutRegion region, Vec3 centreRas, double radiusMm,
        float[]? intensity, (float Low, float High) valueBand, (float Low, float High) meanBand)
    {
        if (intensity is not null)
        {
            _intensity = intensity;
            _neighbourhood = Neighbourhood(region);
            _valueBand = valueBand;
            _meanBand = meanBand;
        }
        _region = region;
        Vec3 c = g.RasToIjkPoint(centreRas);
        _ci = c.X - region.I0 + 1; _cj = c.Y - region.J0 + 1; _ck = c.Z - region.K0 + 1;
        _gii = g.ColumnI.Dot(g.ColumnI); _gjj = g.ColumnJ.Dot(g.ColumnJ); _gkk = g.ColumnK.Dot(g.ColumnK);
        _gij = 2 * g.ColumnI.Dot(g.ColumnJ); _gik = 2 * g.ColumnI.Dot(g.ColumnK); _gjk = 2 * g.ColumnJ.Dot(g.ColumnK);
        _padIJ = region.PadI * region.PadJ;
        RadiusMm = radiusMm;
        RadiusSquared = radiusMm * radiusMm;
    }

    public double RadiusMm { get; }
    public double RadiusSquared { get; }

    /// <summary>Squared distance in mm from the zone's centre to the centre of a padded voxel.</summary>
    public double DistanceSquared(int paddedIndex)
    {
        int pk = paddedIndex / _padIJ, rest = paddedIndex - pk * _padIJ;
        int pj = rest / _region.PadI, pi = rest - pj * _region.PadI;
        double di = pi - _ci, dj = pj - _cj, dk = pk - _ck;
        return _gii * di * di + _gjj * dj * dj + _gkk * dk * dk + _gij * di * dj + _gik * di * dk + _gjk * dj * dk;
    }

    /// <summary>True when the voxel at this padded index may be relabelled.</summary>
    public bool Admits(int paddedIndex)
    {
        if (DistanceSquared(paddedIndex) > RadiusSquared) return false;
        if (_intensity is null) return true;
        float value = _intensity[paddedIndex];
        if (value >= _valueBand.Low && value <= _valueBand.High) return true;
        float mean = LocalMean(_intensity, _neighbourhood!, paddedIndex);
        return mean >= _meanBand.Low && mean <= _meanBand.High;
    }

    /// <summary>Padded-index offsets of a voxel's 3×3×3 neighbourhood, itself included.</summary>
    public static int[] Neighbourhood(GrowCutRegion region)
    {
        var offsets = new int[27];
        int n = 0;
        for (int dk = -1; dk <= 1; dk++)
            for (int dj = -1; dj <= 1; dj++)
                for (int di = -1; di <= 1; di++)
                    offsets[n++] = (dk * region.PadJ + dj) * region.PadI + di;
        return offsets;
    }

    /// <summary>Mean intensity of the 3×3×3 neighbourhood of a voxel of the region (the one-voxel pad makes it safe at the border).</summary>
    public static float LocalMean(float[] intensity, int[] neighbourhood, int paddedIndex)
    {
        float sum = 0;
        foreach (int offset in neighbourhood) sum += intensity[paddedIndex + offset];
        return sum / neighbourhood.Length;
    }

    /// <summary>
    /// Distance in mm from the zone's centre to the nearest voxel of the region labelled <paramref name="label"/>,
    /// or +∞ when there is none. Row by row: the distance along a row is a convex quadratic of the column, so the
    /// nearest voxel of a row is the first one found on either side of the row's closest column; rows that cannot
    /// beat the best so far are skipped.
    /// </summary>
    public double NearestLabelled(byte[] labels, byte label)
    {
        GrowCutRegion r = _region;
        double best = double.PositiveInfinity;
        for (int pk = 1; pk <= r.SizeK; pk++)
        {
            double dk = pk - _ck;
            for (int pj = 1; pj <= r.SizeJ; pj++)
            {
                double dj = pj - _cj;
                double linear = _gij * dj + _gik * dk;              // d² = gii·di² + linear·di + constant
                double constant = _gjj * dj * dj + _gkk * dk * dk + _gjk * dj * dk;
                double rowMinimum = constant - linear * linear / (4 * _gii);
                if (rowMinimum >= best) continue;
                ReadOnlySpan<byte> row = labels.AsSpan((pk * r.PadJ + pj) * r.PadI + 1, r.SizeI);
                double closest = _ci - 1 - linear / (2 * _gii);    // closest column, 0-based in the row
                int split = (int)Math.Clamp(Math.Round(closest), 0, r.SizeI);
                int right = row[split..].IndexOf(label);
                int left = row[..split].LastIndexOf(label);
                if (right >= 0) best = Math.Min(best, RowDistance(split + right));
                if (left >= 0) best = Math.Min(best, RowDistance(left));

                double RowDistance(int column)
                {
                    double di = column + 1 - _ci;
                    return _gii * di * di + linear * di + constant;
                }
            }
        }
        return Math.Sqrt(best);
    }
}
