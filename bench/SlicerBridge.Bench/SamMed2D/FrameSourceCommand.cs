using System.Globalization;
using SlicerBridge.Host.Tests.Support;
using SlicerBridge.Inference.IO;
using SlicerBridge.Inference.Models.SamMed2D.Pipeline;
using SlicerBridge.Inference.Volumes;

namespace SlicerBridge.Bench.SamMed2D;

/// <summary>
/// A PLUS-like frame source for demos: sweeps the slices of a volume file (along K) as 2-D IMAGEs with each slice's own
/// IJK-to-RAS (device Image_Reference, uint8, percentile-stretched) plus TRANSFORM ImageToReference, at a set rate, to
/// every client that connects, e.g. <c>slicerbridge serve --stream-from 127.0.0.1:18945</c>.
/// </summary>
public sealed class FrameSourceCommand : IBenchCommand
{
    public string Name => "frame-source";
    public string Description => "Stream a volume's slices as live 2-D frames, PlusServer-style: frame-source VOLUME [fps=15] [port=18945] [sweeps=10]";

    public int Run(string[] args)
    {
        if (args.Length < 1) { Console.Error.WriteLine($"usage: {Description}"); return 2; }
        double fps = args.Length > 1 ? double.Parse(args[1], CultureInfo.InvariantCulture) : 15;
        int port = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 18945;
        int sweeps = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 10;
        if (!(fps >= 0) || port is < 1 or > 65535 || sweeps is < 1 or > 10_000) { Console.Error.WriteLine($"usage: {Description}"); return 2; }
        var volume = VolumeFile.Read(args[0]);
        var frames = Slices(volume);
        var all = Enumerable.Range(0, sweeps).SelectMany(s => s % 2 == 0 ? frames : Enumerable.Reverse(frames)).ToList();
        var source = new FrameSourceServer(all, volume.Geometry.SizeI, volume.Geometry.SizeJ, fps, port).Start();
        Console.WriteLine($"streaming {all.Count} frames ({volume.Geometry.SizeK} slices × {sweeps} sweeps) of {Path.GetFileName(args[0])} on 127.0.0.1:{source.Port} at {fps} frames/s; Ctrl+C to stop");
        using var stop = new ManualResetEventSlim();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Set(); };
        stop.Wait();
        source.DisposeAsync().AsTask().GetAwaiter().GetResult();
        return 0;
    }

    /// <summary>Each K slice as a one-slice frame: bytes (row = J, column = I) and IJK-to-RAS with the slice's origin.</summary>
    public static List<(byte[] Pixels, double[] IjkToRas)> Slices(Volume volume)
    {
        var g = volume.Geometry;
        int n = g.SizeI * g.SizeJ;
        var result = new List<(byte[], double[])>(g.SizeK);
        for (int k = 0; k < g.SizeK; k++)
        {
            var slice = new Volume(VolumeGeometry.AxisAligned(g.SizeI, g.SizeJ, 1, new Vec3(1, 1, 1), new Vec3(0, 0, 0)),
                volume.Voxels.AsSpan(k * n, n).ToArray(), "", volume.SourceType);
            var origin = g.IjkToRasPoint(new Vec3(0, 0, k));
            double[] m = [g.ColumnI.X, g.ColumnJ.X, g.ColumnK.X, origin.X, g.ColumnI.Y, g.ColumnJ.Y, g.ColumnK.Y, origin.Y, g.ColumnI.Z, g.ColumnJ.Z, g.ColumnK.Z, origin.Z];
            result.Add((FrameIntensity.ToBytes(slice), m));
        }
        return result;
    }
}
