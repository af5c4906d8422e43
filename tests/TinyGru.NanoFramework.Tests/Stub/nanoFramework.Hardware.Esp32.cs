// Stub of the nanoFramework.Hardware.Esp32 package (assembly nanoFramework.Hardware.Esp32), not served by the
// package feed here. Compiled at test time against the real nanoFramework.CoreLibrary mscorlib.dll.
//
// Sources: nanoframework/nanoFramework.Hardware.Esp32, nanoFramework.Hardware.Esp32/Configuration.cs
// (Configuration.SetPinFunction(int, DeviceFunction)); member names as used by nanoframework/nanoFramework.IoT.Device
// devices/Adxl343/ADXL343Samples/Program.cs (DeviceFunction.I2C1_DATA / I2C1_CLOCK). The numeric values of
// DeviceFunction are not reproduced (not needed to compile).

namespace nanoFramework.Hardware.Esp32
{
    public enum DeviceFunction { I2C1_DATA, I2C1_CLOCK, I2C2_DATA, I2C2_CLOCK }
    public static class Configuration
    {
        public static void SetPinFunction(int pin, DeviceFunction function) { throw null; }
    }
}
