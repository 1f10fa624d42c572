using System.Text;
using SlicerBridge.Inference.IO;
using static SlicerBridge.Inference.Tests.IO.VolumeIoTestData;

namespace SlicerBridge.Inference.Tests.IO;

public class MalformedVolumeTests
{
    private static string ReadError(string extension, byte[] content)
    {
        string path = TempPath(extension);
        try
        {
            File.WriteAllBytes(path, content);
            return Assert.Throws<VolumeFormatException>(() => VolumeFile.Read(path)).Message;
        }
        finally { File.Delete(path); }
    }

    private static byte[] Nifti(short[] dims, short datatype = 2, short bitpix = 8, int dataBytes = 8) =>
        HandWrittenVolumeTests.NiftiBytes(dims, datatype, bitpix, [1, 1, 1, 1], 0, 0, [0, 0, 0], [0, 0, 0], 1, 0, new byte[dataBytes]);

    [Fact]
    public void Nifti_BadMagic() { var b = Nifti([3, 2, 2, 2]); b[345] = (byte)'x'; Assert.Contains("magic", ReadError(".nii", b)); }

    [Fact]
    public void Nifti_NotAHeader() => Assert.Contains("348", ReadError(".nii", new byte[100]));

    [Fact]
    public void Nifti_FourD() => Assert.Contains("3-D", ReadError(".nii", Nifti([4, 2, 2, 2, 3], dataBytes: 24)));

    [Fact]
    public void Nifti_Rgb() => Assert.Contains("multi-component", ReadError(".nii", Nifti([3, 2, 2, 2], datatype: 128, bitpix: 24, dataBytes: 24)));

    [Fact]
    public void Nifti_Truncated() => Assert.Contains("truncated", ReadError(".nii", Nifti([3, 2, 2, 2], dataBytes: 5)));

    [Fact]
    public void Nifti_CorruptGzip()
    {
        // Either the inflater rejects the stream or it yields too few bytes for a header: both are a format error.
        string message = ReadError(".nii.gz", [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3]);
        Assert.True(message.Contains("gzip") || message.Contains("348"), message);
    }

    private static byte[] Nrrd(string fields, int dataBytes = 8) =>
        [.. Encoding.ASCII.GetBytes("NRRD0004\n" + fields + "\n"), .. new byte[dataBytes]];

    private const string Good3D = "type: uchar\ndimension: 3\nsizes: 2 2 2\nspace: RAS\nspace directions: (1,0,0) (0,1,0) (0,0,1)\n";

    [Fact]
    public void Nrrd_BadMagic() => Assert.Contains("magic", ReadError(".nrrd", Encoding.ASCII.GetBytes("NRDD0004\ntype: uchar\n\n")));

    [Fact]
    public void Nrrd_Bzip2() => Assert.Contains("bzip2", ReadError(".nrrd", Nrrd(Good3D + "encoding: bzip2\n")));

    [Fact]
    public void Nrrd_MultiComponent() => Assert.Contains("3-D", ReadError(".nrrd",
        Nrrd("type: uchar\ndimension: 4\nsizes: 3 2 2 2\nspace: RAS\nspace directions: none (1,0,0) (0,1,0) (0,0,1)\nencoding: raw\n", 24)));

    [Fact]
    public void Nrrd_Truncated() => Assert.Contains("truncated", ReadError(".nrrd", Nrrd(Good3D + "encoding: raw\n", 5)));

    [Fact]
    public void Nrrd_UnknownSpace() => Assert.Contains("space", ReadError(".nrrd",
        Nrrd(Good3D.Replace("space: RAS", "space: scanner-xyz") + "encoding: raw\n")));

    [Fact]
    public void Nrrd_UnsupportedType() => Assert.Contains("type", ReadError(".nrrd",
        Nrrd(Good3D.Replace("uchar", "long long") + "encoding: raw\n", 64)));

    [Fact]
    public void Nrrd_MissingDetachedData() => Assert.Contains("not found", ReadError(".nhdr",
        Encoding.ASCII.GetBytes("NRRD0004\n" + Good3D + "encoding: raw\ndata file: nowhere.raw\n")));

    [Fact]
    public void UnknownExtension_AndMissingFile()
    {
        Assert.Throws<VolumeFormatException>(() => VolumeFile.Read("scan.mha"));
        Assert.Throws<FileNotFoundException>(() => VolumeFile.Read(TempPath(".nrrd")));
        Assert.Throws<VolumeFormatException>(() => VolumeFile.WriteMask("mask.png", new byte[8], VolumeIoTestData.Oblique(2, 2, 2)));
    }
}
