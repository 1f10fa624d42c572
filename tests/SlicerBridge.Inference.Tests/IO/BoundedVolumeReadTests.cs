using System.Text;
using SlicerBridge.Inference.IO;
using SlicerBridge.Inference.Volumes;

namespace SlicerBridge.Inference.Tests.IO;

/// <summary>
/// The bounds of the volume readers on well-formed files: the voxel limit is configurable and checked before reading,
/// detached data may sit below the header's folder but not behind a link, byte skip -1 finds raw data at the end.
/// (The hostile cases themselves run in Host.Tests' corpus, one process each.)
/// </summary>
public sealed class BoundedVolumeReadTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sb-bounded-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private const string Header = "NRRD0004\ntype: uchar\ndimension: 3\nsizes: 2 2 2\nspace: RAS\nspace directions: (1,0,0) (0,1,0) (0,0,1)\n";

    private string Write(string relative, byte[] content)
    {
        string path = Path.Combine(_dir, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, content);
        return path;
    }

    [Fact]
    public void VoxelLimit_IsConfigurable_AndCheckedFromTheHeader()
    {
        var g = VolumeGeometry.AxisAligned(2, 2, 2, new Vec3(1, 1, 1), new Vec3(0, 0, 0));
        foreach (string name in new[] { "v.nii.gz", "v.nrrd" })
        {
            string path = Path.Combine(_dir, name);
            VolumeFile.WriteMask(path, [1, 2, 3, 4, 5, 6, 7, 8], g);
            Assert.Equal(8, VolumeFile.Read(path, new VolumeReadLimits { MaxVoxels = 8 }).Voxels.Length);
            var ex = Assert.Throws<VolumeFormatException>(() => VolumeFile.Read(path, new VolumeReadLimits { MaxVoxels = 7 }));
            Assert.Contains("2x2x2 = 8 voxels, more than the limit of 7", ex.Message);
        }
    }

    [Fact]
    public void DetachedData_BelowTheHeadersFolder_IsRead()
    {
        Write("data/sub/v.raw", [1, 2, 3, 4, 5, 6, 7, 8]);
        string header = Write("v.nhdr", Encoding.ASCII.GetBytes(Header + "encoding: raw\ndata file: data/sub/v.raw\n"));
        Assert.Equal([1f, 2, 3, 4, 5, 6, 7, 8], VolumeFile.Read(header).Voxels);
    }

    [SkippableFact]
    public void DetachedData_ThroughALinkedFolder_IsRefused()
    {
        Skip.If(OperatingSystem.IsWindows(), "creating links needs privileges on Windows");
        Write("elsewhere/v.raw", [1, 2, 3, 4, 5, 6, 7, 8]);
        Directory.CreateSymbolicLink(Path.Combine(_dir, "linked"), Path.Combine(_dir, "elsewhere"));
        string header = Write("v.nhdr", Encoding.ASCII.GetBytes(Header + "encoding: raw\ndata file: linked/v.raw\n"));
        Assert.Contains("symbolic link", Assert.Throws<VolumeFormatException>(() => VolumeFile.Read(header)).Message);
    }

    [Fact]
    public void ByteSkipMinusOne_TakesRawDataFromTheEnd_AndIsRefusedForGzip()
    {
        string raw = Write("end.nrrd", [.. Encoding.ASCII.GetBytes(Header + "encoding: raw\nbyte skip: -1\n\n"), 9, 9, 9, 1, 2, 3, 4, 5, 6, 7, 8]);
        Assert.Equal([1f, 2, 3, 4, 5, 6, 7, 8], VolumeFile.Read(raw).Voxels);
        string gz = Write("end-gz.nrrd", Encoding.ASCII.GetBytes(Header + "encoding: gzip\nbyte skip: -1\n\n"));
        Assert.Contains("only valid with raw", Assert.Throws<VolumeFormatException>(() => VolumeFile.Read(gz)).Message);
    }

    [Fact]
    public void AFolderOrADevice_IsNotAVolume()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "folder.nii"));
        Assert.Contains("folder", Assert.Throws<VolumeFormatException>(() => VolumeFile.Read(Path.Combine(_dir, "folder.nii"))).Message);
        if (OperatingSystem.IsLinux())
        {
            string device = Path.Combine(_dir, "zero.nii");
            File.CreateSymbolicLink(device, "/dev/zero"); // the user named it: the link is followed, the device refused
            Assert.Contains("not a regular file", Assert.Throws<VolumeFormatException>(() => VolumeFile.Read(device)).Message);
        }
    }
}
