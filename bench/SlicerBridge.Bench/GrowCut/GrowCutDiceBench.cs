using System.Diagnostics;
using SlicerBridge.Inference.IO;
using SlicerBridge.Inference.Models;
using SlicerBridge.Inference.Models.GrowCut;
using SlicerBridge.Inference.Volumes;

namespace SlicerBridge.Bench.GrowCut;

/// <summary>
/// GrowCut's Dice on real data: the ch2 T1 template against AAL structures on the same grid (Debian mricron-data).
/// Per structure: 1 click at its most interior voxel, then 2 corrective clicks (each at the most interior voxel of
/// the largest error component of the current result, positive for missed structure, negative for leakage),
/// incremental from the previous state. ROI = the structure's bounding box grown by 10 mm on every side.
/// </summary>
public sealed class GrowCutDiceBench : IBenchCommand
{
    private static readonly (int Label, string Name)[] Structures =
    [
        (71, "Caudate_L"), (73, "Putamen_L"), (77, "Thalamus_L"), (37, "Hippocampus_L"), (91, "Cerebelum_Crus1_L"),
    ];
    private const double RoiMarginMm = 10;

    public string Name => "growcut-dice";
    public string Description => "GrowCut Dice on ch2 + AAL (mricron-data), 1 and 3 simulated clicks: [templates folder] [GrowCut options JSON]";

    public int Run(string[] args)
    {
        string folder = args.Length > 0 ? args[0] : "/usr/share/mricron/templates";
        string imagePath = Path.Combine(folder, "ch2.nii.gz"), atlasPath = Path.Combine(folder, "aal.nii.gz");
        if (!File.Exists(imagePath) || !File.Exists(atlasPath))
        {
            Console.Error.WriteLine($"growcut-dice: ch2.nii.gz and aal.nii.gz not found in '{folder}' (apt install mricron-data).");
            return 2;
        }
        Volume image = VolumeFile.Read(imagePath), atlas = VolumeFile.Read(atlasPath);
        if (!image.Geometry.Equals(atlas.Geometry))
        {
            Console.Error.WriteLine($"growcut-dice: image {image.Geometry} and atlas {atlas.Geometry} are not on the same grid.");
            return 2;
        }
        VolumeGeometry g = image.Geometry;
        using var model = new GrowCutModel(args.Length > 1 ? GrowCutOptions.Load(args[1]) : null);
        Console.WriteLine($"image {imagePath} ({g}), atlas {atlasPath}; GrowCut defaults {model.Options}");
        Console.WriteLine($"{"structure",-20} {"AAL",4} {"voxels",7} {"Dice@1",7} {"Dice@3",7} {"ms@1",7} {"ms@2",7} {"ms@3",7}  clicks");
        double sum1 = 0, sum3 = 0;
        foreach (var (label, name) in Structures)
        {
            var truth = new byte[g.VoxelCount];
            for (long n = 0; n < truth.LongLength; n++) truth[n] = atlas.Voxels[n] == label ? (byte)1 : (byte)0;
            RoiBox roi = BoundingBoxRoi(g, truth, RoiMarginMm);
            var points = new List<PromptPoint> { new(ClickSimulator.MostInterior(g, truth), true) };
            var dice = new List<double>();
            var times = new List<double>();
            ModelState? state = null;
            byte[]? lastMask = null;
            for (int click = 1; click <= 3; click++)
            {
                if (click > 1)
                {
                    var correction = ClickSimulator.Correction(g, truth, lastMask!);
                    if (correction is null) { dice.Add(dice[^1]); times.Add(0); continue; }
                    points.Add(correction.Value);
                }
                var clock = Stopwatch.StartNew();
                var result = model.Segment(new SegmentationRequest { Volume = image, Points = points.ToList(), Roi = roi, Previous = state },
                    CancellationToken.None);
                times.Add(clock.Elapsed.TotalMilliseconds);
                state = result.State;
                lastMask = result.Mask;
                dice.Add(ClickSimulator.Dice(truth, result.Mask));
            }
            sum1 += dice[0]; sum3 += dice[2];
            string clicks = string.Join(" ", points.Select(p => (p.Positive ? "+" : "-") + p.Ras));
            Console.WriteLine($"{name,-20} {label,4} {truth.Sum(v => v),7} {dice[0],7:0.000} {dice[2],7:0.000} {times[0],7:0.0} {times[1],7:0.0} {times[2],7:0.0}  {clicks}");
        }
        Console.WriteLine($"{"mean",-20} {"",4} {"",7} {sum1 / Structures.Length,7:0.000} {sum3 / Structures.Length,7:0.000}");
        return 0;
    }

    /// <summary>Axis-aligned RAS box around the structure's voxel centres, grown by the margin.</summary>
    private static RoiBox BoundingBoxRoi(VolumeGeometry g, byte[] mask, double marginMm)
    {
        var min = new Vec3(double.MaxValue, double.MaxValue, double.MaxValue);
        var max = new Vec3(double.MinValue, double.MinValue, double.MinValue);
        for (int k = 0; k < g.SizeK; k++)
            for (int j = 0; j < g.SizeJ; j++)
                for (int i = 0; i < g.SizeI; i++)
                {
                    if (mask[g.Index(i, j, k)] == 0) continue;
                    Vec3 p = g.IjkToRasPoint(new Vec3(i, j, k));
                    min = new Vec3(Math.Min(min.X, p.X), Math.Min(min.Y, p.Y), Math.Min(min.Z, p.Z));
                    max = new Vec3(Math.Max(max.X, p.X), Math.Max(max.Y, p.Y), Math.Max(max.Z, p.Z));
                }
        var margin = new Vec3(marginMm, marginMm, marginMm);
        return RoiBox.FromCorners(min - margin, max + margin);
    }
}
