using System.Diagnostics;
using SlicerBridge.Inference.IO;
using SlicerBridge.Inference.Models;
using SlicerBridge.Inference.Models.GrowCut;
using SlicerBridge.Inference.Volumes;

namespace SlicerBridge.Bench.GrowCut;

/// <summary>
/// GrowCut with a simulated user on real data: the skull-stripped ch2 T1 template (ch2bet) against AAL structures on
/// the same grid (Debian mricron-data). Per structure, click 1 is positive at the structure's most interior voxel;
/// every next click goes deep inside the largest error component of the current mask (positive for missed structure,
/// negative for leakage), fed the previous click's state, up to <c>clicks</c> clicks. Two sessions per structure:
/// clicks only (no ROI, as a Slicer user with the markups tool) and clicks + ROI (the structure's bounding box grown
/// by 10 mm). Reports Dice after every click, the largest drop one click caused, and the wall time of every click
/// (median of <c>repeat</c> timed calls of the same request). <c>--trace</c> prints what each click added and removed.
/// </summary>
public sealed class GrowCutDiceBench : IBenchCommand
{
    /// <summary>Deep grey-matter and mesial temporal structures, both hemispheres (AAL numbering of aal.nii.txt).</summary>
    private static readonly (int Label, string Name)[] Structures =
    [
        (71, "Caudate_L"), (72, "Caudate_R"), (73, "Putamen_L"), (74, "Putamen_R"), (77, "Thalamus_L"), (78, "Thalamus_R"),
        (37, "Hippocampus_L"), (38, "Hippocampus_R"), (41, "Amygdala_L"), (42, "Amygdala_R"),
    ];
    private const double RoiMarginMm = 10;

    public string Name => "growcut-dice";
    public string Description =>
        "GrowCut with a simulated user on ch2bet + AAL (mricron-data): [--templates DIR] [--image ch2bet.nii.gz] [--clicks 10] [--repeat 3] [--options FILE] [--only NAME,..] [--trace]";

    public int Run(string[] args)
    {
        string folder = "/usr/share/mricron/templates", imageName = "ch2bet.nii.gz";
        string? optionsPath = null;
        int clicks = 10, repeat = 3;
        bool trace = false;
        HashSet<string>? only = null;
        for (int a = 0; a < args.Length; a++)
        {
            string value = a + 1 < args.Length ? args[a + 1] : "";
            switch (args[a])
            {
                case "--templates": folder = value; a++; break;
                case "--image": imageName = value; a++; break;
                case "--options": optionsPath = value; a++; break;
                case "--clicks" when int.TryParse(value, out int c) && c is >= 1 and <= 50: clicks = c; a++; break;
                case "--repeat" when int.TryParse(value, out int r) && r is >= 1 and <= 50: repeat = r; a++; break;
                case "--only": only = [.. value.Split(',')]; a++; break;
                case "--trace": trace = true; break;
                default: Console.Error.WriteLine($"growcut-dice: bad argument '{args[a]}'. {Description}"); return 2;
            }
        }
        string imagePath = Path.Combine(folder, imageName), atlasPath = Path.Combine(folder, "aal.nii.gz");
        if (!File.Exists(imagePath) || !File.Exists(atlasPath))
        {
            Console.Error.WriteLine($"growcut-dice: {imageName} and aal.nii.gz not found in '{folder}' (apt-get install mricron-data).");
            return 2;
        }
        Volume image = VolumeFile.Read(imagePath), atlas = VolumeFile.Read(atlasPath);
        if (!image.Geometry.Equals(atlas.Geometry))
        {
            Console.Error.WriteLine($"growcut-dice: image {image.Geometry} and atlas {atlas.Geometry} are not on the same grid.");
            return 2;
        }
        using var model = new GrowCutModel(optionsPath is null ? null : GrowCutOptions.Load(optionsPath));
        Console.WriteLine($"image {imagePath} ({image.Geometry}), atlas {atlasPath}; {model.Options}");
        Console.WriteLine($"{Environment.ProcessorCount} logical CPUs; times are medians of {repeat} calls per click");
        var structures = Structures.Where(s => only is null || only.Contains(s.Name)).ToArray();
        foreach (bool withRoi in new[] { false, true })
            RunSessions(model, image, atlas, structures, withRoi, clicks, repeat, trace);
        return 0;
    }

    private static void RunSessions(GrowCutModel model, Volume image, Volume atlas, (int Label, string Name)[] structures,
        bool withRoi, int clicks, int repeat, bool trace)
    {
        VolumeGeometry g = image.Geometry;
        Console.WriteLine();
        Console.WriteLine(withRoi ? "== clicks + ROI (structure bounding box + 10 mm)" : "== clicks only (no ROI)");
        Console.WriteLine($"{"structure",-14} {"voxels",6} " + string.Join(" ", Enumerable.Range(1, clicks).Select(c => $"{"D" + c,5}"))
            + $" {"drop",5} {"ms@1",6} {"ms inc",6} {"vol1",5}  clicks");
        var dice = new double[structures.Length, clicks];
        var firstMs = new List<double>();
        var incrementalMs = new List<double>();
        var drops = new List<double>();
        for (int s = 0; s < structures.Length; s++)
        {
            var (label, name) = structures[s];
            var truth = new byte[g.VoxelCount];
            for (long n = 0; n < truth.LongLength; n++) truth[n] = atlas.Voxels[n] == label ? (byte)1 : (byte)0;
            RoiBox? roi = withRoi ? BoundingBoxRoi(g, truth, RoiMarginMm) : null;
            var points = new List<PromptPoint> { new(ClickSimulator.MostInterior(g, truth), true) };
            var times = new List<double>();
            ModelState? state = null;
            byte[]? mask = null;
            double volumeRatio = 0;
            for (int click = 0; click < clicks; click++)
            {
                if (click > 0)
                {
                    var correction = ClickSimulator.Correction(g, truth, mask!);
                    if (correction is null) { dice[s, click] = dice[s, click - 1]; continue; }
                    points.Add(correction.Value);
                }
                var request = new SegmentationRequest { Volume = image, Points = points.ToList(), Roi = roi, Previous = state };
                var samples = new List<double>();
                SegmentationResult? result = null;
                for (int r = 0; r < repeat; r++)
                {
                    var clock = Stopwatch.StartNew();
                    result = model.Segment(request, CancellationToken.None);
                    samples.Add(clock.Elapsed.TotalMilliseconds);
                }
                double ms = Median(samples);
                times.Add(ms);
                (click == 0 ? firstMs : incrementalMs).Add(ms);
                state = result!.State;
                if (trace && mask is not null)
                {
                    int added = 0, removed = 0, addedGood = 0, removedGood = 0;
                    for (int n = 0; n < mask.Length; n++)
                    {
                        if (mask[n] == 0 && result.Mask[n] == 1) { added++; addedGood += truth[n]; }
                        if (mask[n] == 1 && result.Mask[n] == 0) { removed++; removedGood += 1 - truth[n]; }
                    }
                    Console.WriteLine($"  {name} click {click + 1} {(points[^1].Positive ? "+" : "-")}: added {added} ({addedGood} in the structure), removed {removed} ({removedGood} outside it)");
                }
                mask = result.Mask;
                dice[s, click] = ClickSimulator.Dice(truth, mask);
                if (click == 0) volumeRatio = mask.Sum(v => (double)v) / truth.Sum(v => (double)v);
            }
            double drop = 0;
            for (int click = 1; click < clicks; click++) drop = Math.Max(drop, dice[s, click - 1] - dice[s, click]);
            drops.Add(drop);
            string pointsText = string.Join(" ", points.Select(p => (p.Positive ? "+" : "-") + $"({p.Ras.X:0},{p.Ras.Y:0},{p.Ras.Z:0})"));
            Console.WriteLine($"{name,-14} {truth.Sum(v => v),6} "
                + string.Join(" ", Enumerable.Range(0, clicks).Select(c => $"{dice[s, c],5:0.000}"))
                + $" {drop,5:0.000} {times[0],6:0.0} {Median(times.Skip(1).ToList()),6:0.0} {volumeRatio,5:0.00}  {pointsText}");
        }
        Console.WriteLine($"{"mean",-14} {"",6} "
            + string.Join(" ", Enumerable.Range(0, clicks).Select(c => $"{Enumerable.Range(0, structures.Length).Average(s => dice[s, c]),5:0.000}"))
            + $" {drops.Max(),5:0.000} {Median(firstMs),6:0.0} {Median(incrementalMs),6:0.0}");
        Console.WriteLine($"first click: median {Median(firstMs):0.0} ms, max {firstMs.Max():0.0} ms; "
            + $"later clicks: median {Median(incrementalMs):0.0} ms, p90 {Percentile(incrementalMs, 90):0.0} ms, max {incrementalMs.DefaultIfEmpty().Max():0.0} ms; "
            + $"largest one-click drop {drops.Max():0.000}");
    }

    private static double Median(List<double> values) => Percentile(values, 50);

    private static double Percentile(List<double> values, double percent)
    {
        if (values.Count == 0) return double.NaN;
        var sorted = values.Order().ToList();
        double position = percent / 100 * (sorted.Count - 1);
        int low = (int)Math.Floor(position), high = (int)Math.Ceiling(position);
        return sorted[low] + (sorted[high] - sorted[low]) * (position - low);
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
