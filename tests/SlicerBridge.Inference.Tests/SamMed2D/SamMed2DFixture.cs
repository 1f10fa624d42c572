using System.IO.Compression;
using System.Text;
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
/// <see cref="ModelOnlyCopy"/>. <see cref="SamMed2DCheckpointTests.ReleasedFormatLoadsThroughTheCheckpointReader"/>
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
        CheckpointPath = ModelOnlyCopy(Path.Combine(Dir, "checkpoint.pth"), Path.Combine(_folder, "checkpoint-model-only.pth"));
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

    /// <summary>
    /// A copy of a torch zip checkpoint whose data.pkl keeps only the top-level dict's first entry ('model'): the pickle
    /// is cut where the 'optimizer' key starts and closed with SETITEMS, STOP. Every other entry is copied unchanged.
    /// </summary>
    public static string ModelOnlyCopy(string source, string target)
    {
        byte[] optimizerKey = [(byte)'X', 9, 0, 0, 0, .. Encoding.ASCII.GetBytes("optimizer")];
        using var input = ZipFile.OpenRead(source);
        using (var output = ZipFile.Open(target, ZipArchiveMode.Create))
            foreach (var entry in input.Entries)
            {
                using var from = entry.Open();
                using var buffer = new MemoryStream();
                from.CopyTo(buffer);
                var bytes = buffer.ToArray();
                if (entry.FullName.EndsWith("/data.pkl", StringComparison.Ordinal))
                {
                    int cut = bytes.AsSpan().LastIndexOf(optimizerKey);
                    if (cut < 0) throw new InvalidOperationException($"{source}: no 'optimizer' entry to cut.");
                    bytes = [.. bytes.AsSpan(0, cut), (byte)'u', (byte)'.'];
                }
                using var to = output.CreateEntry(entry.FullName, CompressionLevel.NoCompression).Open();
                to.Write(bytes);
            }
        return target;
    }

    public void Dispose()
    {
        Network.Dispose();
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }
}
