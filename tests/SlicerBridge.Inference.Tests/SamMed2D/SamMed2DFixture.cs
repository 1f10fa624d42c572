using SlicerBridge.Inference.Models.SamMed2D;
using SlicerBridge.Inference.Onnx;

namespace SlicerBridge.Inference.Tests.SamMed2D;

/// <summary>
/// ../shared/fixtures/sam-med2d-tiny, and its checkpoint loaded once for the tests of a class.
/// </summary>
/// <remarks>
/// The fixture's checkpoint.pth is in the released format, {'model': state_dict, 'optimizer': torch.optim.Adam}. The
/// checkpoint reader refuses the optimizer's globals (torch.optim.adam.Adam, collections.defaultdict, __builtin__.dict)
/// today, so the tests read a copy whose pickle ends after the 'model' entry (the same tensors, the same storages):
/// <see cref="ModelOnlyCheckpoint"/>. <see cref="SamMed2DCheckpointTests.ReleasedFormatLoadsThroughTheCheckpointReader"/>
/// waits for the reader to accept the file as it is.
/// </remarks>
public sealed class SamMed2DFixture : IDisposable
{
    public const string Family = "sam-med2d-tiny";
    private readonly string _folder = Directory.CreateTempSubdirectory("sb-sam2d-").FullName;

    public SamMed2DFixture()
    {
        ConfigPath = TestPaths.Fixture(Family, "fixture.json");
        Dir = Path.GetDirectoryName(ConfigPath)!;
        Config = SamMed2DConfig.FromFile(ConfigPath);
        CheckpointPath = ModelOnlyCheckpoint.Write(Path.Combine(Dir, "checkpoint.pth"), Path.Combine(_folder, "checkpoint-model-only.pth"));
        Network = SamMed2DNetwork.Load(CheckpointPath, Config, ExecutionDevice.Cpu);
        Predictor = new SamMed2DPredictor(Network);
    }

    public string ConfigPath { get; }
    public string Dir { get; }
    public string CheckpointPath { get; }
    public SamMed2DConfig Config { get; }
    public SamMed2DNetwork Network { get; }
    public SamMed2DPredictor Predictor { get; }

    public string File(string name) => Path.Combine(Dir, name);

    public void Dispose()
    {
        Network.Dispose();
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }
}
