using SlicerBridge.Host.Cli;
using SlicerBridge.Host.Tests.Support;
using SlicerBridge.Inference.IO;
using SlicerBridge.Inference.Models;
using SlicerBridge.Inference.Models.SamMed2D;
using SlicerBridge.Inference.Volumes;

namespace SlicerBridge.Host.Tests.Cli;

/// <summary><c>segment --model sam-med2d</c> on a 2-D NIfTI (dim[0] = 2) or NRRD (dimension: 2): points or an ROI in RAS, a one-slice mask on the image's grid.</summary>
public sealed class SamMed2DCliTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("sb-sam2d-cli-").FullName;
    private readonly string _checkpoint;

    public SamMed2DCliTests() =>
        _checkpoint = SharedFixtures.SamMed2DTiny("checkpoint.pth");

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>The fixture's CT slice as a 2-D NIfTI (dim[0] = 2) on a rotated plane with 0.8 mm pixels.</summary>
    private (string Path, VolumeGeometry Geometry) WriteSlice()
    {
        var (hwc, h, w) = SamMed2DRunPlan.ReadImage(SharedFixtures.SamMed2DTiny("ct_image_u8.npy"));
        double cs = Math.Cos(0.3), sn = Math.Sin(0.3);
        var g = new VolumeGeometry(w, h, 1, new Vec3(-0.8 * cs, -0.8 * sn, 0), new Vec3(0.8 * sn, -0.8 * cs, 0), new Vec3(0, 0, 2), new Vec3(30, 40, -20));
        var voxels = Enumerable.Range(0, h * w).Select(i => (float)hwc[3 * i]).ToArray();
        string path = Path.Combine(_folder, "slice.nii");
        VolumeFile.WriteFloat32(path, new Volume(g, voxels));
        using (var f = new FileStream(path, FileMode.Open, FileAccess.ReadWrite))
        {
            f.Position = 40;                                   // dim[0]: a 2-D image, as 2-D tools write it
            f.Write(BitConverter.GetBytes((short)2));
        }
        return (path, g);
    }

    private static string Ras(Vec3 p) => FormattableString.Invariant($"{p.X},{p.Y},{p.Z}");

    [Fact]
    public async Task PointOnTheImageGivesAOneSliceMaskWithTheImagesGeometry()
    {
        var (input, g) = WriteSlice();
        Assert.Equal(1, VolumeFile.Read(input).Geometry.SizeK);
        string output = Path.Combine(_folder, "mask.nrrd");
        var stderr = new StringWriter();
        var click = g.IjkToRasPoint(new Vec3(113, 125, 0));
        int code = await SegmentCommand.RunAsync(new SegmentArguments(input, output, [Ras(click)], "sam-med2d",
            _checkpoint, SharedFixtures.SamMed2DTiny("fixture.json"), Device: "cpu"), [new SamMed2DModelFactory()], TextWriter.Null, stderr, default);
        Assert.True(code == 0, stderr.ToString());
        var mask = VolumeFile.Read(output);
        Assert.Equal((g.SizeI, g.SizeJ, 1), (mask.Geometry.SizeI, mask.Geometry.SizeJ, mask.Geometry.SizeK));
        for (int i = 0; i < 12; i++) Assert.Equal(g.IjkToRas[i], mask.Geometry.IjkToRas[i], 4);
        Assert.InRange(mask.Voxels.Count(v => v != 0), 1000, mask.Voxels.Length - 1000);
        // The same model in process on the same file: the CLI adds nothing but reading and writing.
        using var model = new SamMed2DModelFactory().Create(new ModelSpec("m", "sam-med2d", _checkpoint, SharedFixtures.SamMed2DTiny("fixture.json"), "cpu"));
        var direct = model.Segment(new SegmentationRequest { Volume = VolumeFile.Read(input), Points = [new PromptPoint(click, true)] }, default);
        Assert.Equal(direct.Mask.Select(b => (float)b), mask.Voxels);
    }

    [Fact]
    public async Task AnRoiAloneIsABoxPrompt()
    {
        var (input, g) = WriteSlice();
        string output = Path.Combine(_folder, "mask.nii.gz");
        var corner1 = g.IjkToRasPoint(new Vec3(99.5, 84.5, -1));
        var corner2 = g.IjkToRasPoint(new Vec3(159.5, 174.5, 1));
        var stderr = new StringWriter();
        int code = await SegmentCommand.RunAsync(new SegmentArguments(input, output, [], "sam-med2d", _checkpoint, SharedFixtures.SamMed2DTiny("fixture.json"),
            Roi: $"{Ras(corner1)},{Ras(corner2)}", Device: "cpu"), [new SamMed2DModelFactory()], TextWriter.Null, stderr, default);
        Assert.True(code == 0, stderr.ToString());
        Assert.Contains(VolumeFile.Read(output).Voxels, v => v != 0);
    }

    [Fact]
    public async Task A_two_dimensional_nrrd_gives_the_same_mask_as_the_nifti()
    {
        var (nifti, g) = WriteSlice();
        var image = VolumeFile.Read(nifti);
        // The same pixels as a 2-D NRRD in Slicer's LPS, written by hand: uchar, two space directions.
        static string Lps(Vec3 v) => FormattableString.Invariant($"({-v.X:R},{-v.Y:R},{v.Z:R})");
        string nrrd = Path.Combine(_folder, "slice.nrrd");
        string header = $"NRRD0004\ntype: uchar\ndimension: 2\nspace: left-posterior-superior\nsizes: {g.SizeI} {g.SizeJ}\n" +
            $"space directions: {Lps(g.ColumnI)} {Lps(g.ColumnJ)}\nkinds: domain domain\nencoding: raw\nspace origin: {Lps(g.Origin)}\n\n";
        File.WriteAllBytes(nrrd, [.. System.Text.Encoding.ASCII.GetBytes(header), .. image.Voxels.Select(v => (byte)v)]);

        var click = Ras(g.IjkToRasPoint(new Vec3(113, 125, 0)));
        var masks = new List<Volume>();
        foreach (var input in new[] { nifti, nrrd })
        {
            string output = Path.Combine(_folder, Path.GetFileNameWithoutExtension(input) + "-mask.nrrd");
            var stderr = new StringWriter();
            int code = await SegmentCommand.RunAsync(new SegmentArguments(input, output, [click], "sam-med2d",
                _checkpoint, SharedFixtures.SamMed2DTiny("fixture.json"), Device: "cpu"), [new SamMed2DModelFactory()], TextWriter.Null, stderr, default);
            Assert.True(code == 0, stderr.ToString());
            masks.Add(VolumeFile.Read(output));
        }
        Assert.Equal(1, masks[1].Geometry.SizeK);
        for (int i = 0; i < 12; i++)
            if (i % 4 != 2) Assert.Equal(masks[0].Geometry.IjkToRas[i], masks[1].Geometry.IjkToRas[i], 6); // all but column K
        Assert.Equal(1.0, masks[1].Geometry.ColumnK.Length, 9);
        Assert.InRange(masks[1].Voxels.Count(v => v != 0), 1000, masks[1].Voxels.Length - 1000);
        Assert.Equal(masks[0].Voxels, masks[1].Voxels);
    }

    [Fact]
    public async Task AThreeDimensionalVolumeIsAClearFailure()
    {
        string input = Path.Combine(_folder, "vol.nii.gz");
        VolumeFile.WriteFloat32(input, new Volume(VolumeGeometry.AxisAligned(20, 20, 4, new Vec3(1, 1, 1), new Vec3(0, 0, 0)), new float[1600]));
        var stderr = new StringWriter();
        int code = await SegmentCommand.RunAsync(new SegmentArguments(input, Path.Combine(_folder, "m.nii.gz"), ["5,5,1"], "sam-med2d", _checkpoint,
            SharedFixtures.SamMed2DTiny("fixture.json"), Device: "cpu"), [new SamMed2DModelFactory()], TextWriter.Null, stderr, default);
        Assert.Equal(SegmentCommand.ExitFailed, code);
        Assert.Contains("2-D images (one slice)", stderr.ToString());
    }
}
