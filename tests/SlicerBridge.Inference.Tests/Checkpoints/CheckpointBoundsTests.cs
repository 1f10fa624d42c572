using System.IO.Compression;
using SlicerBridge.Inference.Checkpoints;

namespace SlicerBridge.Inference.Tests.Checkpoints;

/// <summary>
/// The rules the bounded readers follow on honest-looking files: Python's choices for duplicates (the last zip entry
/// of a name, the last value of a dict key in its first position), configurable limits, and concurrent reads.
/// (Hostile files run in Host.Tests' corpus, one process each.)
/// </summary>
public sealed class CheckpointBoundsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sb-bounds-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void DuplicateZipEntry_TheLastOneWins()
    {
        var pickle = new PickleBuilder().EmptyDict().Str("w").Tensor("0", 2, 2).SetItem().Stop();
        string path = Path.Combine(_dir, "dup.pth");
        using (var zip = new ZipArchive(File.Create(path), ZipArchiveMode.Create))
        {
            using (var e = zip.CreateEntry("archive/data.pkl").Open()) e.Write(pickle);
            foreach (var values in new[] { new float[] { 1, 2 }, [3, 4] })
            {
                using var e = zip.CreateEntry("archive/data/0").Open();
                foreach (var v in values) e.Write(BitConverter.GetBytes(v));
            }
        }
        using var ckpt = CheckpointReader.Open(path);
        var read = new float[2];
        ckpt.ReadFloat32("w", read);
        Assert.Equal([3f, 4], read);
    }

    [Fact]
    public void DuplicateDictKey_KeepsItsPlace_AndTakesTheLastValue()
    {
        var pickle = new PickleBuilder().EmptyDict()
            .Str("a").Tensor("0", 2, 2).SetItem()
            .Str("b").Tensor("1", 2, 2).SetItem()
            .Str("a").Tensor("1", 2, 2).SetItem().Stop();
        var path = PickleBuilder.WriteArchive(Path.Combine(_dir, "keys.pth"), pickle,
            new Dictionary<string, float[]> { ["0"] = [1, 2], ["1"] = [5, 6] });
        using var ckpt = CheckpointReader.Open(path);
        Assert.Equal(["a", "b"], ckpt.Tensors.Select(t => t.Name));
        var read = new float[2];
        ckpt.ReadFloat32("a", read);
        Assert.Equal([5f, 6], read);
    }

    [Fact]
    public void Limits_AreConfigurable()
    {
        string fixture = TestPaths.Fixture("sam-med3d-tiny", "checkpoint.pth");
        Assert.Contains("more than 10 tensors", Assert.Throws<CheckpointException>(() =>
            CheckpointReader.Open(fixture, new CheckpointLimits { MaxTensors = 10 })).Message);
        Assert.Contains("MaxPickleBytes", Assert.Throws<CheckpointException>(() =>
            CheckpointReader.Open(fixture, new CheckpointLimits { MaxPickleBytes = 1000 })).Message);
        Assert.Contains("MaxPickleValues", Assert.Throws<CheckpointException>(() =>
            CheckpointReader.Open(fixture, new CheckpointLimits { MaxPickleValues = 1000 })).Message);
        using var ckpt = CheckpointReader.Open(fixture, new CheckpointLimits { MaxTotalInflatedBytes = 100_000 });
        var big = ckpt.Tensors.MaxBy(t => t.ElementCount)!;
        Assert.Contains("MaxTotalInflatedBytes", Assert.Throws<CheckpointException>(() =>
            ckpt.ReadFloat32(big.Name, new float[big.ElementCount])).Message);
    }

    [Fact]
    public void Tensors_CanBeReadConcurrently()
    {
        using var ckpt = CheckpointReader.Open(TestPaths.Fixture("3dsam-adapter-tiny", "last.pth.tar")); // stored and deflated entries
        double Sum(CheckpointTensorInfo t)
        {
            var values = new float[t.ElementCount];
            ckpt.ReadFloat32(t.Name, values);
            return values.Sum(v => (double)v);
        }
        var serial = ckpt.Tensors.Select(Sum).ToArray();
        var parallel = ckpt.Tensors.AsParallel().AsOrdered().WithDegreeOfParallelism(4).Select(Sum).ToArray();
        Assert.Equal(serial, parallel);
    }
}
