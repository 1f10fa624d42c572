namespace SlicerBridge.Protocol;

public sealed partial class ImageMessage
{
    /// <summary>
    /// IJK-to-RAS as a row-major 3x4: columns are the wire T, S, N (direction × spacing), the translation is the
    /// RAS position of the centre of voxel (0,0,0), recovered from the wire centre P with the (N−1)/2 convention.
    /// An LPS message (O=2) is converted to RAS by negating the x and y rows.
    /// </summary>
    public double[] GetIjkToRas()
    {
        var m = WireMatrix;
        double flip = CoordinateSystem == IgtlCoordinateSystem.Lps ? -1 : 1;
        double hi = (SizeI - 1) / 2.0, hj = (SizeJ - 1) / 2.0, hk = (SizeK - 1) / 2.0;
        var r = new double[12];
        for (int row = 0; row < 3; row++)
        {
            double sign = row < 2 ? flip : 1;
            double t = m[row], s = m[3 + row], n = m[6 + row], p = m[9 + row];
            r[row * 4 + 0] = sign * t;
            r[row * 4 + 1] = sign * s;
            r[row * 4 + 2] = sign * n;
            r[row * 4 + 3] = sign * (p - t * hi - s * hj - n * hk);
        }
        return r;
    }

    /// <summary>
    /// Sets the wire matrix from a row-major 3x4 (or 4x4) IJK-to-RAS whose translation is voxel (0,0,0);
    /// writes RAS (O=1) and the centre as P. Set the size first.
    /// </summary>
    public void SetIjkToRas(ReadOnlySpan<double> rowMajor)
    {
        if (rowMajor.Length < 12) throw new ArgumentException("IJK-to-RAS needs 12 values (3x4 row-major).");
        if (SizeI <= 0 || SizeJ <= 0 || SizeK <= 0) throw new InvalidOperationException("Set the image size before its geometry.");
        foreach (var v in rowMajor[..12])
            if (!double.IsFinite(v)) throw new ArgumentException("IJK-to-RAS contains NaN or infinity.");
        double hi = (SizeI - 1) / 2.0, hj = (SizeJ - 1) / 2.0, hk = (SizeK - 1) / 2.0;
        for (int row = 0; row < 3; row++)
        {
            double t = rowMajor[row * 4], s = rowMajor[row * 4 + 1], n = rowMajor[row * 4 + 2], o = rowMajor[row * 4 + 3];
            WireMatrix[row] = (float)t;
            WireMatrix[3 + row] = (float)s;
            WireMatrix[6 + row] = (float)n;
            WireMatrix[9 + row] = (float)(o + t * hi + s * hj + n * hk);
        }
        for (int axis = 0; axis < 3; axis++)
            if (WireMatrix[axis * 3] == 0 && WireMatrix[axis * 3 + 1] == 0 && WireMatrix[axis * 3 + 2] == 0)
                throw new ArgumentException("IJK-to-RAS has a zero-length axis (spacing 0).");
        CoordinateSystem = IgtlCoordinateSystem.Ras;
    }

    /// <summary>Spacing along I, J, K (norms of the matrix columns).</summary>
    public (double I, double J, double K) Spacing
    {
        get
        {
            var m = WireMatrix;
            static double Norm(float a, float b, float c) => Math.Sqrt((double)a * a + (double)b * b + (double)c * c);
            return (Norm(m[0], m[1], m[2]), Norm(m[3], m[4], m[5]), Norm(m[6], m[7], m[8]));
        }
    }
}
