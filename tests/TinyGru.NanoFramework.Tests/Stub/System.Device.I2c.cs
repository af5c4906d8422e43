// Stub of the nanoFramework.System.Device.I2c package (assembly System.Device.I2c), not served by the package feed
// here. Compiled at test time against the real nanoFramework.CoreLibrary mscorlib.dll (which declares SpanByte).
//
// Sources: nanoframework/System.Device.I2c, System.Device.I2c/I2cDevice.cs (SpanByte era), I2cConnectionSettings.cs
// (ctor (busId, address) and (busId, address, I2cBusSpeed), the 2-argument one defaulting to FastMode),
// I2cTransferResult.cs, I2cTransferStatus.cs, I2cBusSpeed.cs; usage with SpanByte + res.Status in
// nanoframework/nanoFramework.IoT.Device devices/Adxl343/ADXL343Samples.

namespace System.Device.I2c
{
    public enum I2cBusSpeed { StandardMode = 0, FastMode = 1 }
    public enum I2cTransferStatus
    {
        UnknownError = 0, FullTransfer = 1, ClockStretchTimeout = 2, PartialTransfer = 3, SlaveAddressNotAcknowledged = 4,
    }
    public struct I2cTransferResult
    {
        public uint BytesTransferred { get { throw null; } }
        public I2cTransferStatus Status { get { throw null; } }
    }
    public sealed class I2cConnectionSettings
    {
        public I2cConnectionSettings(int busId, int deviceAddress) { throw null; }
        public I2cConnectionSettings(int busId, int deviceAddress, I2cBusSpeed busSpeed) { throw null; }
        public int BusId { get { throw null; } }
        public int DeviceAddress { get { throw null; } }
        public I2cBusSpeed BusSpeed { get { throw null; } }
    }
    public class I2cDevice : IDisposable
    {
        public I2cDevice(I2cConnectionSettings settings) { throw null; }
        public static I2cDevice Create(I2cConnectionSettings settings) { throw null; }
        public I2cConnectionSettings ConnectionSettings { get { throw null; } }
        public byte ReadByte() { throw null; }
        public I2cTransferResult Read(SpanByte buffer) { throw null; }
        public I2cTransferResult WriteByte(byte value) { throw null; }
        public I2cTransferResult Write(SpanByte buffer) { throw null; }
        public I2cTransferResult WriteRead(SpanByte writeBuffer, SpanByte readBuffer) { throw null; }
        public void Dispose() { throw null; }
    }
}
