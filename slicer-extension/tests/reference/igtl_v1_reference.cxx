// Cross-check of tests/igtl_slicer_client.py against the OpenIGTLink C++ library (header V=1 only:
// the Debian package is protocol v2, without metadata or COMMAND).
//   igtl_v1_reference read  < messages   -> one line per message, decoded by the library (CRC checked)
//   igtl_v1_reference image > message    -> a 4x3x2 int16 IMAGE packed by the library
#include <igtlImageMessage.h>
#include <igtlMessageHeader.h>
#include <igtlPointMessage.h>

#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

static bool readExact(void* buffer, size_t size)
{
  return size == 0 || std::fread(buffer, 1, size, stdin) == size;
}

static int readMessages()
{
  for (;;)
  {
    igtl::MessageHeader::Pointer header = igtl::MessageHeader::New();
    header->InitPack();
    if (!readExact(header->GetPackPointer(), header->GetPackSize()))
    {
      return 0;
    }
    header->Unpack();
    std::string type = header->GetDeviceType();
    if (type == "IMAGE")
    {
      igtl::ImageMessage::Pointer image = igtl::ImageMessage::New();
      image->SetMessageHeader(header);
      image->AllocatePack();
      if (!readExact(image->GetPackBodyPointer(), image->GetPackBodySize())) return 2;
      int result = image->Unpack(1);
      int size[3]; float spacing[3]; float origin[3]; float norm_i[3], norm_j[3], norm_k[3];
      image->GetDimensions(size);
      image->GetSpacing(spacing);
      image->GetOrigin(origin);
      image->GetNormals(norm_i, norm_j, norm_k);
      std::printf("IMAGE %s crc_ok=%d type=%d endian=%d coord=%d size=%d,%d,%d spacing=%g,%g,%g origin=%g,%g,%g "
                  "ni=%g,%g,%g nj=%g,%g,%g nk=%g,%g,%g",
                  image->GetDeviceName(), (result & igtl::MessageHeader::UNPACK_BODY) ? 1 : 0,
                  image->GetScalarType(), image->GetEndian(), image->GetCoordinateSystem(),
                  size[0], size[1], size[2], spacing[0], spacing[1], spacing[2], origin[0], origin[1], origin[2],
                  norm_i[0], norm_i[1], norm_i[2], norm_j[0], norm_j[1], norm_j[2], norm_k[0], norm_k[1], norm_k[2]);
      const unsigned char* pixels = static_cast<const unsigned char*>(image->GetScalarPointer());
      long sum = 0;
      for (int i = 0; i < image->GetImageSize(); ++i) sum += pixels[i];
      std::printf(" bytesum=%ld\n", sum);
    }
    else if (type == "POINT")
    {
      igtl::PointMessage::Pointer points = igtl::PointMessage::New();
      points->SetMessageHeader(header);
      points->AllocatePack();
      if (!readExact(points->GetPackBodyPointer(), points->GetPackBodySize())) return 2;
      int result = points->Unpack(1);
      std::printf("POINT %s crc_ok=%d n=%d", points->GetDeviceName(),
                  (result & igtl::MessageHeader::UNPACK_BODY) ? 1 : 0, points->GetNumberOfPointElement());
      for (int i = 0; i < points->GetNumberOfPointElement(); ++i)
      {
        igtl::PointElement::Pointer e;
        points->GetPointElement(i, e);
        igtlUint8 rgba[4]; igtlFloat32 xyz[3];
        e->GetRGBA(rgba);
        e->GetPosition(xyz);
        std::printf(" [%s|%s|%d,%d,%d,%d|%g,%g,%g]", e->GetName(), e->GetGroupName(), rgba[0], rgba[1], rgba[2],
                    rgba[3], xyz[0], xyz[1], xyz[2]);
      }
      std::printf("\n");
    }
    else
    {
      std::vector<char> skip(header->GetBodySizeToRead());
      if (!readExact(skip.data(), skip.size())) return 2;
      std::printf("%s %s skipped\n", type.c_str(), header->GetDeviceName());
    }
  }
}

static int writeImage()
{
  igtl::ImageMessage::Pointer image = igtl::ImageMessage::New();
  int size[3] = {4, 3, 2};
  float spacing[3] = {0.5f, 1.5f, 2.0f};
  float norm_i[3] = {0, 1, 0}, norm_j[3] = {-1, 0, 0}, norm_k[3] = {0, 0, 1};
  float centre[3] = {10.0f, -20.0f, 30.0f};
  image->SetDimensions(size);
  image->SetSpacing(spacing);
  image->SetNormals(norm_i, norm_j, norm_k);
  image->SetOrigin(centre);  // the wire P field: the volume centre
  image->SetScalarType(igtl::ImageMessage::TYPE_INT16);
  image->SetEndian(igtl::ImageMessage::ENDIAN_LITTLE);
  image->SetCoordinateSystem(igtl::ImageMessage::COORDINATE_RAS);
  image->SetDeviceName("RefImage");
  image->AllocateScalars();
  short* pixels = static_cast<short*>(image->GetScalarPointer());
  for (int i = 0; i < 24; ++i) pixels[i] = static_cast<short>(i * 100 - 1000);
  image->Pack();
  std::fwrite(image->GetPackPointer(), 1, image->GetPackSize(), stdout);
  return 0;
}

int main(int argc, char** argv)
{
  if (argc == 2 && std::strcmp(argv[1], "read") == 0) return readMessages();
  if (argc == 2 && std::strcmp(argv[1], "image") == 0) return writeImage();
  std::cerr << "usage: igtl_v1_reference read|image\n";
  return 1;
}
