// Interop peer built on the reference OpenIGTLink C++ library (1.11, header version 1).
// Modes:
//   selfcheck            pack/unpack an oblique int16 IMAGE in memory, verify CRC-64 check value
//   send HOST PORT       connect and send STRING, STATUS, TRANSFORM, POINT and an oblique int16 IMAGE
//   receive PORT         accept one client, unpack every message with CRC check, print one line per message
//   bench-send HOST PORT REPS / bench-recv PORT REPS   512x512x300 int16 IMAGE transfer timing
//   crc MIB REPS         time igtl_crc64 over MIB MiB, print "crc64 GB/s <value>"
#include <igtlClientSocket.h>
#include <igtlImageMessage.h>
#include <igtlMessageHeader.h>
#include <igtlPointMessage.h>
#include <igtlServerSocket.h>
#include <igtlStatusMessage.h>
#include <igtlStringMessage.h>
#include <igtlTransformMessage.h>
#include <igtl_util.h>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

// Oblique int16 volume 12x10x6: spacing (0.8,1.1,3.0), rotated axes, centre P; voxel value = i + 20*j + 300*k - 900.
igtl::ImageMessage::Pointer MakeObliqueImage() {
  auto img = igtl::ImageMessage::New();
  img->SetDeviceName("Oblique");
  img->SetDimensions(12, 10, 6);
  img->SetSpacing(0.8f, 1.1f, 3.0f);
  img->SetScalarType(igtl::ImageMessage::TYPE_INT16);
  img->SetNumComponents(1);
  img->SetEndian(igtl::ImageMessage::ENDIAN_LITTLE);
  img->SetCoordinateSystem(igtl::ImageMessage::COORDINATE_RAS);
  const float c = std::cos(0.4f), s = std::sin(0.4f);
  float t[3] = {1, 0, 0}, sv[3] = {0, c, s}, n[3] = {0, -s, c};
  img->SetNormals(t, sv, n);
  img->SetOrigin(-12.5f, 33.25f, 80.75f);  // wire P = volume centre
  img->AllocateScalars();
  auto* px = static_cast<igtlInt16*>(img->GetScalarPointer());
  for (int k = 0; k < 6; ++k)
    for (int j = 0; j < 10; ++j)
      for (int i = 0; i < 12; ++i) px[(k * 10 + j) * 12 + i] = static_cast<igtlInt16>(i + 20 * j + 300 * k - 900);
  img->Pack();
  return img;
}

void PrintImage(igtl::ImageMessage* img) {
  int size[3], svol[3], soff[3];
  img->GetDimensions(size);
  img->GetSubVolume(svol, soff);
  float sp[3], t[3], s[3], n[3], p[3];
  img->GetSpacing(sp);
  img->GetNormals(t, s, n);
  img->GetOrigin(p);
  long long sum = 0;
  const long long count = static_cast<long long>(svol[0]) * svol[1] * svol[2] * img->GetNumComponents();
  const int type = img->GetScalarType();
  for (long long v = 0; v < count; ++v) {
    switch (type) {
      case igtl::ImageMessage::TYPE_INT16: sum += static_cast<igtlInt16*>(img->GetScalarPointer())[v]; break;
      case igtl::ImageMessage::TYPE_UINT8: sum += static_cast<igtlUint8*>(img->GetScalarPointer())[v]; break;
      default: sum += static_cast<unsigned char*>(img->GetScalarPointer())[v]; break;
    }
  }
  std::printf("IMAGE %s type=%d comps=%d size=%d,%d,%d endian=%d coord=%d sum=%lld", img->GetDeviceName(), type,
              img->GetNumComponents(), size[0], size[1], size[2], img->GetEndian(), img->GetCoordinateSystem(), sum);
  std::printf(" T=%.5f,%.5f,%.5f S=%.5f,%.5f,%.5f N=%.5f,%.5f,%.5f P=%.5f,%.5f,%.5f\n", t[0] * sp[0], t[1] * sp[0],
              t[2] * sp[0], s[0] * sp[1], s[1] * sp[1], s[2] * sp[1], n[0] * sp[2], n[1] * sp[2], n[2] * sp[2], p[0], p[1], p[2]);
}

int SendAll(igtl::Socket* sock, igtl::MessageBase* m) {
  return sock->Send(m->GetPackPointer(), m->GetPackSize()) ? 0 : 1;
}

int Send(const char* host, int port) {
  auto sock = igtl::ClientSocket::New();
  if (sock->ConnectToServer(host, port) != 0) { std::fprintf(stderr, "cannot connect to %s:%d\n", host, port); return 2; }
  int rc = 0;
  auto str = igtl::StringMessage::New();
  str->SetDeviceName("Text"); str->SetEncoding(3); str->SetString("hello from C++"); str->Pack();
  rc |= SendAll(sock, str);
  auto st = igtl::StatusMessage::New();
  st->SetDeviceName("Stat"); st->SetCode(igtl::StatusMessage::STATUS_NOT_READY); st->SetSubCode(-7);
  st->SetErrorName("NotReady"); st->SetStatusString("waiting"); st->Pack();
  rc |= SendAll(sock, st);
  auto tr = igtl::TransformMessage::New();
  tr->SetDeviceName("Xform");
  igtl::Matrix4x4 m = {{0, -1, 0, 10}, {1, 0, 0, -20}, {0, 0, 1, 30.5f}, {0, 0, 0, 1}};
  tr->SetMatrix(m); tr->Pack();
  rc |= SendAll(sock, tr);
  auto pt = igtl::PointMessage::New();
  pt->SetDeviceName("PromptPos");
  auto e = igtl::PointElement::New();
  e->SetName("F-1"); e->SetGroupName("Selected"); e->SetRGBA(255, 0, 0, 255); e->SetPosition(1.5f, -2.25f, 30.0f);
  e->SetRadius(0); e->SetOwner("");
  pt->AddPointElement(e); pt->Pack();
  rc |= SendAll(sock, pt);
  auto img = MakeObliqueImage();
  rc |= SendAll(sock, img);
  sock->CloseSocket();
  return rc;
}

int Receive(int port) {
  auto server = igtl::ServerSocket::New();
  if (server->CreateServer(port) < 0) { std::fprintf(stderr, "cannot listen on %d\n", port); return 2; }
  std::printf("LISTENING %d\n", port);
  std::fflush(stdout);
  igtl::Socket::Pointer sock;
  for (int tries = 0; tries < 300 && !sock; ++tries) sock = server->WaitForConnection(100);
  if (!sock) { std::fprintf(stderr, "no client connected\n"); return 3; }
  auto header = igtl::MessageHeader::New();
  while (true) {
    header->InitPack();
    int r = sock->Receive(header->GetPackPointer(), header->GetPackSize());
    if (r == 0) break;
    if (r != header->GetPackSize()) { std::printf("TRUNCATED header\n"); return 4; }
    header->Unpack();
    const std::string type = header->GetDeviceType();
    igtl::MessageBase::Pointer msg;
    if (type == "IMAGE") msg = igtl::ImageMessage::New();
    else if (type == "STRING") msg = igtl::StringMessage::New();
    else if (type == "STATUS") msg = igtl::StatusMessage::New();
    else if (type == "TRANSFORM") msg = igtl::TransformMessage::New();
    else if (type == "POINT") msg = igtl::PointMessage::New();
    else { sock->Skip(header->GetBodySizeToRead(), 0); std::printf("SKIPPED %s\n", type.c_str()); continue; }
    msg->SetMessageHeader(header);
    msg->AllocatePack();
    if (sock->Receive(msg->GetPackBodyPointer(), msg->GetPackBodySize()) != msg->GetPackBodySize()) { std::printf("TRUNCATED body\n"); return 4; }
    if (!(msg->Unpack(1) & igtl::MessageHeader::UNPACK_BODY)) { std::printf("CRC-FAIL %s %s\n", type.c_str(), msg->GetDeviceName()); continue; }
    if (type == "IMAGE") PrintImage(static_cast<igtl::ImageMessage*>(msg.GetPointer()));
    else if (type == "STRING") {
      auto* s = static_cast<igtl::StringMessage*>(msg.GetPointer());
      std::printf("STRING %s enc=%d value=%s\n", s->GetDeviceName(), s->GetEncoding(), s->GetString());
    } else if (type == "STATUS") {
      auto* s = static_cast<igtl::StatusMessage*>(msg.GetPointer());
      std::printf("STATUS %s code=%d sub=%lld name=%s msg=%s\n", s->GetDeviceName(), s->GetCode(), static_cast<long long>(s->GetSubCode()),
                  s->GetErrorName(), s->GetStatusString());
    } else if (type == "TRANSFORM") {
      auto* t = static_cast<igtl::TransformMessage*>(msg.GetPointer());
      igtl::Matrix4x4 m; t->GetMatrix(m);
      std::printf("TRANSFORM %s", t->GetDeviceName());
      for (int r2 = 0; r2 < 3; ++r2) for (int c = 0; c < 4; ++c) std::printf(" %.4f", m[r2][c]);
      std::printf("\n");
    } else {
      auto* p = static_cast<igtl::PointMessage*>(msg.GetPointer());
      std::printf("POINT %s n=%d", p->GetDeviceName(), p->GetNumberOfPointElement());
      for (int i = 0; i < p->GetNumberOfPointElement(); ++i) {
        igtl::PointElement::Pointer e; p->GetPointElement(i, e);
        igtlUint8 rgba[4]; e->GetRGBA(rgba); float xyz[3]; e->GetPosition(xyz);
        std::printf(" [%s|%s|%d,%d,%d,%d|%.3f,%.3f,%.3f]", e->GetName(), e->GetGroupName(), rgba[0], rgba[1], rgba[2], rgba[3], xyz[0], xyz[1], xyz[2]);
      }
      std::printf("\n");
    }
    std::fflush(stdout);
  }
  std::printf("END\n");
  return 0;
}

int SelfCheck() {
  const char* check = "123456789";
  igtl_uint64 crc = crc64(reinterpret_cast<unsigned char*>(const_cast<char*>(check)), 9, 0);
  if (crc != 0x6C40DF5F0B497347ULL) { std::printf("crc64 check value wrong: %llx\n", static_cast<unsigned long long>(crc)); return 1; }
  auto img = MakeObliqueImage();
  auto back = igtl::ImageMessage::New();
  auto header = igtl::MessageHeader::New();
  header->InitPack();
  std::memcpy(header->GetPackPointer(), img->GetPackPointer(), header->GetPackSize());
  header->Unpack();
  back->SetMessageHeader(header);
  back->AllocatePack();
  std::memcpy(back->GetPackBodyPointer(), img->GetPackBodyPointer(), img->GetPackBodySize());
  if (!(back->Unpack(1) & igtl::MessageHeader::UNPACK_BODY)) { std::printf("self unpack failed\n"); return 1; }
  PrintImage(back);
  return 0;
}

int Crc(int mib, int reps) {
  std::vector<unsigned char> buf(static_cast<size_t>(mib) << 20);
  for (size_t i = 0; i < buf.size(); ++i) buf[i] = static_cast<unsigned char>(i * 2654435761u >> 13);
  igtl_uint64 crc = 0;
  auto t0 = std::chrono::steady_clock::now();
  for (int r = 0; r < reps; ++r) crc = crc64(buf.data(), buf.size(), crc);
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("crc64 %.3f GB/s %016llx\n", buf.size() * static_cast<double>(reps) / s / 1e9, static_cast<unsigned long long>(crc));
  const char* check = "123456789";
  return crc64(reinterpret_cast<unsigned char*>(const_cast<char*>(check)), 9, 0) == 0x6C40DF5F0B497347ULL ? 0 : 1;
}

// 512x512x300 int16 volume: bench-send packs (with CRC) and sends it REPS times; bench-recv receives and unpacks
// with CRC check REPS times and prints the wall time from the first header byte to the last unpack.
igtl::ImageMessage::Pointer MakeBenchImage() {
  auto img = igtl::ImageMessage::New();
  img->SetDeviceName("Bench");
  img->SetDimensions(512, 512, 300);
  img->SetSpacing(0.7f, 0.7f, 1.0f);
  img->SetScalarType(igtl::ImageMessage::TYPE_INT16);
  img->SetEndian(igtl::ImageMessage::ENDIAN_LITTLE);
  img->AllocateScalars();
  auto* px = static_cast<igtlInt16*>(img->GetScalarPointer());
  for (long long v = 0; v < 512LL * 512 * 300; ++v) px[v] = static_cast<igtlInt16>(v * 7);
  return img;
}

int BenchSend(const char* host, int port, int reps) {
  auto img = MakeBenchImage();
  auto sock = igtl::ClientSocket::New();
  if (sock->ConnectToServer(host, port) != 0) return 2;
  for (int r = 0; r < reps; ++r) {
    img->Pack();
    if (!sock->Send(img->GetPackPointer(), img->GetPackSize())) return 1;
  }
  sock->CloseSocket();
  return 0;
}

int BenchRecv(int port, int reps) {
  auto server = igtl::ServerSocket::New();
  if (server->CreateServer(port) < 0) return 2;
  std::printf("LISTENING %d\n", port);
  std::fflush(stdout);
  igtl::Socket::Pointer sock;
  for (int tries = 0; tries < 300 && !sock; ++tries) sock = server->WaitForConnection(100);
  if (!sock) return 3;
  auto header = igtl::MessageHeader::New();
  auto img = igtl::ImageMessage::New();
  double bytes = 0;
  std::chrono::steady_clock::time_point start;
  for (int r = 0; r < reps; ++r) {
    header->InitPack();
    if (sock->Receive(header->GetPackPointer(), header->GetPackSize()) != header->GetPackSize()) return 4;
    auto t0 = std::chrono::steady_clock::now();
    header->Unpack();
    img->SetMessageHeader(header);
    img->AllocatePack();
    if (sock->Receive(img->GetPackBodyPointer(), img->GetPackBodySize()) != img->GetPackBodySize()) return 4;
    if (!(img->Unpack(1) & igtl::MessageHeader::UNPACK_BODY)) return 5;
    auto t1 = std::chrono::steady_clock::now();
    if (r == 0) start = t0;
    bytes += img->GetPackSize();
    std::printf("rep %d %.3f s\n", r, std::chrono::duration<double>(t1 - t0).count());
  }
  double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("total %.0f bytes %.4f s %.3f GB/s\n", bytes, total, bytes / total / 1e9);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "selfcheck") return SelfCheck();
  if (mode == "send" && argc == 4) return Send(argv[2], std::atoi(argv[3]));
  if (mode == "receive" && argc == 3) return Receive(std::atoi(argv[2]));
  if (mode == "bench-send" && argc == 5) return BenchSend(argv[2], std::atoi(argv[3]), std::atoi(argv[4]));
  if (mode == "bench-recv" && argc == 4) return BenchRecv(std::atoi(argv[2]), std::atoi(argv[3]));
  if (mode == "crc" && argc == 4) return Crc(std::atoi(argv[2]), std::atoi(argv[3]));
  std::fprintf(stderr, "usage: igtl_peer selfcheck | send HOST PORT | receive PORT | crc MIB REPS\n");
  return 64;
}
