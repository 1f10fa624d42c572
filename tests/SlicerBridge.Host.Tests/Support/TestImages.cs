using System.Runtime.InteropServices;
using SlicerBridge.Inference.Volumes;
using SlicerBridge.Protocol;

namespace SlicerBridge.Host.Tests.Support;

internal static class TestImages
{
    /// <summary>Axis-aligned 1 mm grid with voxel (0,0,0) at RAS (0,0,0).</summary>
    public static readonly double[] Identity = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0];

    /// <summary>Oblique: rotated 30° about S, anisotropic spacing (0.8, 1.2, 2.0), LPS-like flips, offset origin.</summary>
    public static double[] Oblique()
    {
        double c = Math.Cos(Math.PI / 6), s = Math.Sin(Math.PI / 6);
        Vec3 i = new Vec3(-c, -s, 0) * 0.8, j = new Vec3(-s, c, 0) * 1.2, k = new Vec3(0, 0, 1) * 2.0;
        Vec3 o = new(10.5, -20.25, 33);
        return [i.X, j.X, k.X, o.X, i.Y, j.Y, k.Y, o.Y, i.Z, j.Z, k.Z, o.Z];
    }

    public static ImageMessage Int16Volume(string name, int n, double[]? ijkToRas = null, int sizeK = -1)
    {
        int k = sizeK > 0 ? sizeK : n;
        var values = new short[n * n * k];
        for (int v = 0; v < values.Length; v++) values[v] = (short)(v % 97 - 40);
        var image = new ImageMessage(name, IgtlScalarType.Int16, 1, n, n, k, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());
        image.SetIjkToRas(ijkToRas ?? Identity);
        return image;
    }

    /// <summary>A bright ball (200) of <paramref name="radius"/> voxels in a dark (0) n³ int16 volume, 1 mm voxels at RAS (0,0,0).</summary>
    public static (ImageMessage Image, short[] Values) Ball(string name, int n, double radius)
    {
        var values = new short[n * n * n];
        var center = new Vec3(n / 2, n / 2, n / 2);
        for (int k = 0; k < n; k++) for (int j = 0; j < n; j++) for (int i = 0; i < n; i++)
            values[(k * n + j) * n + i] = (short)((new Vec3(i, j, k) - center).Length <= radius ? 200 : 0);
        var image = new ImageMessage(name, IgtlScalarType.Int16, 1, n, n, n, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());
        image.SetIjkToRas(Identity);
        return (image, values);
    }

    /// <summary>Dice of a received labelmap against the voxels &gt; 0 of the sent volume.</summary>
    public static double Dice(ImageMessage labelmap, short[] truthValues)
    {
        var mask = labelmap.Pixels.Span;
        long truth = 0, predicted = 0, overlap = 0;
        for (int v = 0; v < mask.Length; v++)
        {
            bool t = truthValues[v] > 0, p = mask[v] == 1;
            if (t) truth++;
            if (p) predicted++;
            if (t && p) overlap++;
        }
        return 2.0 * overlap / Math.Max(1, truth + predicted);
    }

    public static VolumeGeometry Geometry(ImageMessage image) => VolumeGeometry.FromMatrix(image.SizeI, image.SizeJ, image.SizeK, image.GetIjkToRas());

    public static PointMessage Points(string device, params (float X, float Y, float Z)[] points)
    {
        var message = new PointMessage { DeviceName = device };
        int n = 0;
        foreach (var p in points)
            message.Points.Add(new PointElement($"P{n++}", "Fiducial", 255, 0, 0, 255, p.X, p.Y, p.Z, 1, ""));
        return message;
    }

    public static void AssertSameGeometry(ImageMessage sent, ImageMessage received)
    {
        Assert.Equal((sent.SizeI, sent.SizeJ, sent.SizeK), (received.SizeI, received.SizeJ, received.SizeK));
        double[] a = sent.GetIjkToRas(), b = received.GetIjkToRas();
        for (int e = 0; e < 12; e++) Assert.True(Math.Abs(a[e] - b[e]) < 1e-4, $"IJK-to-RAS element {e}: sent {a[e]}, got {b[e]}");
        Assert.Equal(IgtlScalarType.UInt8, received.ScalarType);
        Assert.Equal(1, received.Components);
    }

    /// <summary>The mask value at the voxel nearest a RAS point.</summary>
    public static byte MaskAt(ImageMessage labelmap, Vec3 ras)
    {
        var g = Geometry(labelmap);
        Vec3 ijk = g.RasToIjkPoint(ras);
        return labelmap.Pixels.Span[(int)g.Index((int)Math.Round(ijk.X), (int)Math.Round(ijk.Y), (int)Math.Round(ijk.Z))];
    }
}
