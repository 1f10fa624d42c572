using SlicerBridge.Inference.Models.SamMed2D;
using SlicerBridge.Inference.Onnx;

namespace SlicerBridge.Inference.Tests.SamMed2D;

/// <summary>
/// ../shared/fixtures/sam-med2d-tiny, and its checkpoint loaded once for the tests of a class.
/// </summary>
/// <remarks>
/// The fixture's checkpoint.pth is in the released format, {'model': state_dict, 'optimizer': torch.optim.Adam}, and is
/// read as it is.
/// </remarks>
public sealed class SamMed2DFixture : IDisposable
{
    public const string Family = "sam-med2d-tiny";

    public SamMed2DFixture()
    {
        ConfigPath = TestPaths.Fixture(Family, "fixture.json");
        Dir = Path.GetDirectoryName(ConfigPath)!;
        Config = SamMed2DConfig.FromFile(ConfigPath);
        CheckpointPath = Path.Combine(Dir, "checkpoint.pth");
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
    }
}
