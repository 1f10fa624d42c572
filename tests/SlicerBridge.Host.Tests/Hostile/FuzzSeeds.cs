using System.Text;
using SlicerBridge.Inference.Checkpoints;
using SlicerBridge.Inference.IO;
using SlicerBridge.Inference.Volumes;

namespace SlicerBridge.Host.Tests.Hostile;

/// <summary>
/// A well-formed file to mutate, the name it is written under, and the reader that must take any mutation cleanly.
/// With <see cref="Wrap"/>, the content is an inner layer (a pickle, an uncompressed NIfTI) that is mutated and then
/// wrapped (into a zip with correct CRCs, into gzip), so that mutations reach past the container's checks.
/// </summary>
internal sealed record FuzzSeed(string Family, string FileName, byte[] Content, Func<string, string> Read, Type ErrorType, Func<byte[], byte[]>? Wrap = null);

/// <summary>The seeds of the reader fuzzer: small valid files of every format, built here or taken from the fixtures.</summary>
internal static class FuzzSeeds
{
    private const long MaxElementsRead = 1 << 24; // a mutated shape may declare anything: read what a model would allocate for

    public static IReadOnlyList<FuzzSeed> All()
    {
        var g = VolumeGeometry.AxisAligned(6, 5, 4, new Vec3(0.8, 1, 2.5), new Vec3(-3, 4, 5));
        var voxels = Enumerable.Range(0, (int)g.VoxelCount).Select(v => (float)(v % 13)).ToArray();
        var volume = new Volume(g, voxels);
        var pickle = new PickleOps().EmptyDict().Str("state_dict").EmptyDict()
            .Str("module.a.weight").Tensor("0", 6, [2, 3], [3, 1]).SetItem()
            .Str("b").EmptyDict().Str("bias").Tensor("1", 4, [4], [1]).SetItem().SetItem().SetItem().Stop();
        byte[] Torch(byte[] p) => TestZip.Build([
            new TestZipEntry("archive/data.pkl", p),
            new TestZipEntry("archive/data/0", Floats(1, 2, 3, 4, 5, 6)),
            new TestZipEntry("archive/data/1", Floats(7, 8, 9, 10), Deflate: true),
            new TestZipEntry("archive/version", "3\n"u8.ToArray())]);
        byte[] torch = Torch(pickle);
        // SAM-Med2D's released layout: {'model': ..., 'optimizer': Adam() BUILT with {'state': defaultdict(dict) {...}}}.
        var trained = new PickleOps().EmptyDict().Str("model").EmptyDict()
            .Str("a.weight").Tensor("0", 6, [2, 3], [3, 1]).SetItem().SetItem()
            .Str("optimizer").Global("torch.optim.adam", "Adam").Op((byte)')', 0x81).EmptyDict()
            .Str("state").Global("collections", "defaultdict").Global("__builtin__", "dict").Op(0x85).Reduce()
            .Tensor("0", 6, [2, 3], [3, 1]).Global("builtins", "dict").Op((byte)')').Reduce().Str("exp_avg").Tensor("1", 4, [4], [1]).SetItem().SetItem()
            .SetItem().Op((byte)'b').SetItem().Stop();
        byte[] safetensors = Safetensors("""{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},"b":{"dtype":"BF16","shape":[4],"data_offsets":[24,32]}}""", 32);
        string nrrdHeader = "NRRD0004\ntype: short\ndimension: 3\nsizes: 6 5 4\nspace: left-posterior-superior\n" +
            "space directions: (-0.8,0,0) (0,-1,0) (0,0,2.5)\nspace origin: (3,-4,5)\nendian: little\n";
        byte[] raw = voxels.SelectMany(v => BitConverter.GetBytes((short)v)).ToArray();
        return
        [
            new("checkpoint", "m.pth", torch, ReadCheckpoint, typeof(CheckpointException)),
            new("pickle", "p.pth", pickle, ReadCheckpoint, typeof(CheckpointException), Torch),
            new("pickle", "trained.pth", trained, ReadCheckpoint, typeof(CheckpointException), Torch),
            new("checkpoint", "tiny.pth", File.ReadAllBytes(Support.SharedFixtures.SamMed3DTiny("checkpoint.pth")), ReadCheckpoint, typeof(CheckpointException)),
            new("safetensors", "m.safetensors", safetensors, ReadCheckpoint, typeof(CheckpointException)),
            new("nifti", "v.nii", Written("v.nii", volume), ReadVolume, typeof(VolumeFormatException)),
            new("nifti", "v.nii.gz", Written("v.nii.gz", volume), ReadVolume, typeof(VolumeFormatException)),
            new("nifti", "inner.nii.gz", Written("inner.nii", volume), ReadVolume, typeof(VolumeFormatException), b => GzipBomb.Gzip(b)),
            new("nrrd", "v.nrrd", Written("v.nrrd", volume), ReadVolume, typeof(VolumeFormatException)),
            new("nrrd", "raw.nrrd", [.. Encoding.ASCII.GetBytes(nrrdHeader + "encoding: raw\n\n"), .. raw], ReadVolume, typeof(VolumeFormatException)),
            new("nrrd", "slice.nrrd", [.. Encoding.ASCII.GetBytes("NRRD0004\ntype: short\ndimension: 2\nsizes: 6 5\nspace: left-posterior-superior\n" +
                "space directions: (-0.8,0.1,0) (0,-1,0.2)\nspace origin: (3,-4,5)\nendian: little\nencoding: raw\n\n"), .. raw[..60]], ReadVolume, typeof(VolumeFormatException)),
            new("nrrd", "d.nhdr", Encoding.ASCII.GetBytes(nrrdHeader + "encoding: raw\ndata file: d.raw\n"), ReadVolume, typeof(VolumeFormatException)),
            new("npy", "a.npy", File.ReadAllBytes(Support.SharedFixtures.SamMed3DTiny("click1_sparse.npy")), ReadNpy, typeof(NpyFormatException)),
        ];
    }

    /// <summary>Files a seed's mutations need beside them (the detached NRRD's data), written once into the work folder.</summary>
    public static void WriteCompanions(string folder)
    {
        var raw = Enumerable.Range(0, 120).SelectMany(v => BitConverter.GetBytes((short)(v % 13))).ToArray();
        File.WriteAllBytes(Path.Combine(folder, "d.raw"), raw);
    }

    private static string ReadCheckpoint(string path)
    {
        using var checkpoint = CheckpointReader.Open(path);
        foreach (var t in checkpoint.Tensors.Where(t => t.ElementCount <= MaxElementsRead))
            checkpoint.ReadFloat32(t.Name, new float[t.ElementCount]);
        return $"{checkpoint.Tensors.Count} tensors";
    }

    private static string ReadVolume(string path) => VolumeFile.Read(path).Geometry.ToString();
    private static string ReadNpy(string path) => string.Join(",", NpyFile.Read(path).Shape);

    private static byte[] Floats(params float[] values) => values.SelectMany(BitConverter.GetBytes).ToArray();

    private static byte[] Safetensors(string header, int dataBytes)
    {
        var h = Encoding.UTF8.GetBytes(header);
        return [.. BitConverter.GetBytes((ulong)h.Length), .. h, .. Enumerable.Range(0, dataBytes).Select(i => (byte)(i * 37))];
    }

    private static byte[] Written(string name, Volume volume)
    {
        string folder = Directory.CreateTempSubdirectory("sb-seed-").FullName;
        try
        {
            string path = Path.Combine(folder, name);
            VolumeFile.WriteFloat32(path, volume);
            return File.ReadAllBytes(path);
        }
        finally { Directory.Delete(folder, recursive: true); }
    }
}
