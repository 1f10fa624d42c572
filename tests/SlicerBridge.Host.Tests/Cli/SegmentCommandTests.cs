using SlicerBridge.Host.Cli;
using SlicerBridge.Inference.IO;
using SlicerBridge.Inference.Models;
using SlicerBridge.Inference.Volumes;

namespace SlicerBridge.Host.Tests.Cli;

public sealed class SegmentCommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("sb-segment-").FullName;
    private readonly string _input;
    private readonly byte[] _truth;

    public SegmentCommandTests()
    {
        // A bright 8 mm sphere centred at RAS (20, 20, 20) in a 40 mm cube of 1 x 1 x 2 mm voxels, as a NIfTI file.
        var g = VolumeGeometry.AxisAligned(40, 40, 20, new Vec3(1, 1, 2), new Vec3(0.5, 0.5, 1));
        var voxels = new float[g.VoxelCount];
        _truth = new byte[g.VoxelCount];
        for (int k = 0; k < 20; k++)
            for (int j = 0; j < 40; j++)
                for (int i = 0; i < 40; i++)
                {
                    bool inside = (g.IjkToRasPoint(new Vec3(i, j, k)) - new Vec3(20, 20, 20)).Length <= 8;
                    voxels[g.Index(i, j, k)] = inside ? 300 : 20 + (i * 7 + j * 3 + k) % 5;
                    _truth[g.Index(i, j, k)] = inside ? (byte)1 : (byte)0;
                }
        _input = Path.Combine(_folder, "phantom.nii.gz");
        VolumeFile.WriteFloat32(_input, new Volume(g, voxels));
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private async Task<(int Code, string Out, string Err)> Run(SegmentArguments arguments, IEnumerable<IModelFactory>? extra = null)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = await SegmentCommand.RunAsync(arguments, extra ?? [], stdout, stderr, CancellationToken.None);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Theory]
    [InlineData("mask.nii.gz")]
    [InlineData("mask.nrrd")]
    public async Task Segments_WritesTheMask_AndASummary(string outputName)
    {
        string output = Path.Combine(_folder, outputName);
        var (code, stdout, stderr) = await Run(new SegmentArguments(_input, output, ["20,20,20", "3,3,3,0"], Roi: "6,6,6,34,34,34"));
        Assert.True(code == 0, stderr);
        Volume mask = VolumeFile.Read(output);
        Assert.Equal(_truth.Length, mask.Voxels.Length);
        long both = 0, a = 0, b = 0;
        for (int n = 0; n < _truth.Length; n++) { a += _truth[n]; b += (long)mask.Voxels[n]; both += _truth[n] * (long)mask.Voxels[n]; }
        Assert.True(2.0 * both / (a + b) > 0.9, $"Dice {2.0 * both / (a + b):0.000}");
        Assert.Contains($"{b} voxels", stdout);
        Assert.Contains("mL", stdout);
        Assert.Contains("infer", stdout);
        Assert.Contains("100%", stderr);
    }

    [Fact]
    public async Task WithoutRoi_UsesTheMarginBox()
    {
        string output = Path.Combine(_folder, "mask.nii.gz");
        var (code, _, stderr) = await Run(new SegmentArguments(_input, output, ["20,20,20,1"]));
        Assert.True(code == 0, stderr);
        Assert.True(File.Exists(output));
    }

    [Theory]
    [InlineData("missing.nii.gz", "mask.nii.gz", "20,20,20", null, "does not exist")]
    [InlineData("scan.mha", "mask.nii.gz", "20,20,20", null, "unsupported extension")]
    [InlineData(null, "mask.png", "20,20,20", null, "unsupported extension")]
    [InlineData(null, "nowhere/mask.nii.gz", "20,20,20", null, "does not exist")]
    [InlineData(null, "mask.nii.gz", "20,20", null, "R,A,S")]
    [InlineData(null, "mask.nii.gz", "20,20,x", null, "not a finite number")]
    [InlineData(null, "mask.nii.gz", "20,20,20,maybe", null, "label")]
    [InlineData(null, "mask.nii.gz", "20,20,20", "1,2,3", "R1,A1,S1,R2,A2,S2")]
    [InlineData(null, "mask.nii.gz", "20,20,20", "1,2,3,1,5,6", "zero extent")]
    public async Task BadUsage_ExitsWith2(string? input, string output, string point, string? roi, string expected)
    {
        var (code, _, stderr) = await Run(new SegmentArguments(input is null ? _input : Path.Combine(_folder, input),
            Path.Combine(_folder, output), [point], Roi: roi));
        Assert.Equal(SegmentCommand.ExitUsage, code);
        Assert.Contains(expected, stderr);
        Assert.StartsWith("error: ", stderr);
    }

    [Fact]
    public async Task UnknownModel_AndNoPoints_AreUsageErrors()
    {
        var (code, _, stderr) = await Run(new SegmentArguments(_input, Path.Combine(_folder, "m.nii.gz"), ["20,20,20"], Model: "unet"));
        Assert.Equal(SegmentCommand.ExitUsage, code);
        Assert.Contains("Available: growcut", stderr);
        (code, _, stderr) = await Run(new SegmentArguments(_input, Path.Combine(_folder, "m.nii.gz"), []));
        Assert.Equal(SegmentCommand.ExitUsage, code);
        Assert.Contains("--point", stderr);
    }

    [Fact]
    public async Task BadPromptsOrFiles_ExitWith1()
    {
        string output = Path.Combine(_folder, "m.nii.gz");
        var (code, _, stderr) = await Run(new SegmentArguments(_input, output, ["20,20,20,0"]));
        Assert.Equal(SegmentCommand.ExitFailed, code);
        Assert.Contains("positive", stderr);
        (code, _, stderr) = await Run(new SegmentArguments(_input, output, ["500,20,20"]));
        Assert.Equal(SegmentCommand.ExitFailed, code);
        Assert.Contains("inside the volume", stderr);
        string corrupt = Path.Combine(_folder, "corrupt.nrrd");
        File.WriteAllText(corrupt, "NRRD0004\ntype: uchar\ndimension: 3\nsizes: 2 2 2\nencoding: raw\n\nabc");
        (code, _, stderr) = await Run(new SegmentArguments(corrupt, output, ["0,0,0"]));
        Assert.Equal(SegmentCommand.ExitFailed, code);
        Assert.Contains("truncated", stderr);
        string config = Path.Combine(_folder, "bad.json");
        File.WriteAllText(config, "{ \"connectivity\": 5 }");
        (code, _, stderr) = await Run(new SegmentArguments(_input, output, ["20,20,20"], Config: config));
        Assert.Equal(SegmentCommand.ExitFailed, code);
        Assert.Contains("Connectivity", stderr);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public async Task ExtraFactories_AreSelectableByKind()
    {
        string output = Path.Combine(_folder, "all.nrrd");
        var (code, _, stderr) = await Run(new SegmentArguments(_input, output, ["20,20,20"], Model: "everything"), [new EverythingFactory()]);
        Assert.True(code == 0, stderr);
        Assert.All(VolumeFile.Read(output).Voxels, v => Assert.Equal(1f, v));
    }

    [Fact]
    public void Command_ParsesItsOptions()
    {
        var command = SegmentCommand.Create();
        Assert.Equal("segment", command.Name);
        var parse = command.Parse(["--input", "a.nii.gz", "--output", "b.nrrd", "--point", "1,2,3", "--point", "4,5,6,0", "--roi", "0,0,0,9,9,9"]);
        Assert.Empty(parse.Errors);
        Assert.NotEmpty(command.Parse(["--output", "b.nrrd", "--point", "1,2,3"]).Errors); // --input missing
    }

    /// <summary>A stand-in for another model kind: segments every voxel.</summary>
    private sealed class EverythingFactory : IModelFactory
    {
        public string Kind => "everything";
        public ISegmentationModel Create(ModelSpec spec) => new EverythingModel();

        private sealed class EverythingModel : ISegmentationModel
        {
            public string Name => "everything";
            public string Description => "test model";
            public long WeightBytes => 0;
            public SegmentationResult Segment(SegmentationRequest request, CancellationToken cancellationToken) =>
                new() { Mask = Enumerable.Repeat((byte)1, request.Volume.Voxels.Length).ToArray() };
            public void Dispose() { }
        }
    }
}
