using System.Diagnostics;
using System.Globalization;
using SlicerBridge.Inference.Checkpoints;
using SlicerBridge.Inference.IO;
using SlicerBridge.Inference.Volumes;

namespace SlicerBridge.Bench.IO;

/// <summary>
/// What bounding the readers costs on honest files: open + read every tensor of the fixture checkpoints (zip directory,
/// unpickling, CRC-32 of every entry), and read a 256×256×200 float32 volume as .nii, .nii.gz and .nrrd (gzip).
/// Public API only, so that the same file runs against an older tree for a before/after comparison.
/// </summary>
public sealed class ReaderBench : IBenchCommand
{
    public string Name => "readers";
    public string Description => "checkpoint and volume read times, medians [reps=9] [shared folder]";

    public int Run(string[] args)
    {
        int reps = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 9;
        string shared = args.Length > 1 ? args[1] : FindShared();
        foreach (var (family, file) in new[] { ("sam-med3d-tiny", "checkpoint.pth"), ("3dsam-adapter-tiny", "last.pth.tar"), ("ct-sam3d-tiny", "checkpoint.pth") })
        {
            string path = Path.Combine(shared, "fixtures", family, file);
            long bytes = 0;
            double ms = Median(reps, () =>
            {
                using var checkpoint = CheckpointReader.Open(path);
                bytes = 0;
                foreach (var t in checkpoint.Tensors)
                {
                    checkpoint.ReadFloat32(t.Name, new float[t.ElementCount]);
                    bytes += t.ElementCount * 4;
                }
            });
            Console.WriteLine(FormattableString.Invariant($"checkpoint {family,-20} {new FileInfo(path).Length / 1e6,6:0.0} MB file: median {ms,7:0.0} ms ({bytes / ms / 1e3:0} MB/s of float32)"));
        }

        string folder = Directory.CreateTempSubdirectory("sb-readers-").FullName;
        try
        {
            var g = VolumeGeometry.AxisAligned(256, 256, 200, new Vec3(0.8, 0.8, 1.5), new Vec3(0, 0, 0));
            var voxels = new float[g.VoxelCount];
            for (int n = 0; n < voxels.Length; n++) voxels[n] = (n * 7919 % 2000) - 1000; // CT-like range, compressible a little
            var volume = new Volume(g, voxels);
            foreach (string name in new[] { "v.nii", "v.nii.gz", "v.nrrd" })
            {
                string path = Path.Combine(folder, name);
                VolumeFile.WriteFloat32(path, volume);
                double ms = Median(reps, () => VolumeFile.Read(path));
                Console.WriteLine(FormattableString.Invariant($"volume {name,-9} 256x256x200 float32, {new FileInfo(path).Length / 1e6,6:0.0} MB file: median {ms,7:0.0} ms"));
            }
        }
        finally { Directory.Delete(folder, recursive: true); }
        return 0;
    }

    private static double Median(int reps, Action action)
    {
        action(); // warm-up: JIT, file cache
        var times = new List<double>();
        for (int r = 0; r < reps; r++)
        {
            var clock = Stopwatch.StartNew();
            action();
            times.Add(clock.Elapsed.TotalMilliseconds);
        }
        times.Sort();
        return times[times.Count / 2];
    }

    private static string FindShared()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "SlicerBridge.sln")))
                return Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared"));
        throw new InvalidOperationException("SlicerBridge.sln not found above " + AppContext.BaseDirectory);
    }
}
