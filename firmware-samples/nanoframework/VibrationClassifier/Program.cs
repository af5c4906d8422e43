// VibrationClassifier — .NET nanoFramework v1 sample for ESP32 (TinyGru issue #6).
//
// Reads a 3-axis accelerometer (ADXL345) over I2C at ~100 Hz, feeds each 32-sample window (0.32 s) to the
// TinyGru-generated GRU classifier `VibrationModel` and prints idle / normal / fault.
// Checked statically in TinyGru's test suite (compiled against a stub of the documented nanoFramework v1 API and
// scanned); not executed on nanoCLR or hardware.
//
// C# 9, no generics, no Span<T>: the subset nanoFramework v1 runs.

using System;
using System.Device.I2c;
using System.Diagnostics;
using System.Threading;
using nanoFramework.Hardware.Esp32;

namespace VibrationClassifier
{
    public class Program
    {
        // ===================== HARDWARE PART — adapt to your board and sensor =====================
        // ESP32 DevKit (ESP32_REV0 firmware) with an ADXL345 breakout on I2C1:
        //   ADXL345 VCC → 3V3, GND → GND, SDA → GPIO21, SCL → GPIO22, CS → 3V3 (selects I2C), SDO/ALT ADDRESS → GND.
        private const int SdaPin = 21;
        private const int SclPin = 22;
        private const int I2cBusId = 1;
        private const int Adxl345Address = 0x53;      // SDO/ALT ADDRESS low (0x1D when high) — ADXL345 datasheet, "Serial Communications / I2C"

        // ADXL345 register map (Analog Devices ADXL345 datasheet, Rev. E, Table 19).
        private const byte RegDevId = 0x00;           // DEVID, reads 0xE5
        private const byte DevIdValue = 0xE5;
        private const byte RegBwRate = 0x2C;          // BW_RATE: rate code in bits 3:0
        private const byte Rate100Hz = 0x0A;          // 1010 = 100 Hz output data rate
        private const byte RegPowerCtl = 0x2D;        // POWER_CTL
        private const byte PowerMeasure = 0x08;       // Measure bit (D3)
        private const byte RegDataFormat = 0x31;      // DATA_FORMAT
        private const byte FullResolution2G = 0x08;   // FULL_RES (D3) = 1, range bits D1:D0 = 00 → ±2 g
        private const byte RegDataX0 = 0x32;          // DATAX0..DATAZ1 (0x32..0x37), little-endian 16-bit two's complement
        private const float GPerLsb = 0.0039f;        // 3.9 mg/LSB in full-resolution mode (datasheet typical scale factor)
        // ================================ end of the hardware part ================================

        private const int SamplePeriodMs = 10;        // ~100 Hz, the rate of the training data (Thread.Sleep pacing: approximate)
        private const int WindowSteps = 32;           // steps per classified window, as in model/vibration.csv

        // Class order of the model file (`tinygru inspect model/vibration-int8.safetensors` → labels fault, idle, normal).
        private static readonly string[] ClassLabels = { "fault", "idle", "normal" };

        private static I2cDevice _sensor;
        private static readonly byte[] _register = new byte[1];
        private static readonly byte[] _write2 = new byte[2];
        private static readonly byte[] _sample = new byte[6];

        public static void Main()
        {
            Debug.WriteLine("VibrationClassifier: TinyGru GRU on nanoFramework");

            // HARDWARE: route the ESP32 pins to I2C1 (other boards have fixed I2C pins: drop these two lines).
            Configuration.SetPinFunction(SdaPin, DeviceFunction.I2C1_DATA);
            Configuration.SetPinFunction(SclPin, DeviceFunction.I2C1_CLOCK);
            _sensor = new I2cDevice(new I2cConnectionSettings(I2cBusId, Adxl345Address, I2cBusSpeed.FastMode));

            if (ReadRegister(RegDevId) != DevIdValue)
            {
                Debug.WriteLine("ADXL345 not found at 0x53: check wiring and SDO/ALT ADDRESS");
                return;
            }
            WriteRegister(RegBwRate, Rate100Hz);
            WriteRegister(RegDataFormat, FullResolution2G);
            WriteRegister(RegPowerCtl, PowerMeasure);

            // Which model this firmware runs (constants generated from the model file).
            Debug.WriteLine("model " + VibrationModel.ModelName + " sha256 " + VibrationModel.ModelSha256 + " (TinyGru " + VibrationModel.TinyGruVersion + ")");

            // All buffers allocated once: the loop below allocates nothing per sample.
            var model = new VibrationModel();
            var frame = new float[3];
            var scores = new float[3];

            while (true)
            {
                model.Reset();
                int predicted = 0;
                for (int t = 0; t < WindowSteps; t++)
                {
                    if (!ReadAcceleration(frame))
                    {
                        Debug.WriteLine("I2C read failed");
                    }
                    if (t < WindowSteps - 1)
                    {
                        model.Step(frame, scores);
                    }
                    else
                    {
                        // The last step of the window: advance, fill the class probabilities, take the most probable.
                        predicted = model.StepAndClassify(frame, scores);
                    }
                    Thread.Sleep(SamplePeriodMs);
                }
                Debug.WriteLine("class: " + ClassLabels[predicted] + " p=" + scores[predicted].ToString());
            }
        }

        // HARDWARE: one burst read of DATAX0..DATAZ1, converted to g.
        private static bool ReadAcceleration(float[] g)
        {
            _register[0] = RegDataX0;
            var result = _sensor.WriteRead(_register, _sample);
            if (result.Status != I2cTransferStatus.FullTransfer)
            {
                return false;
            }
            g[0] = (short)(_sample[0] | (_sample[1] << 8)) * GPerLsb;
            g[1] = (short)(_sample[2] | (_sample[3] << 8)) * GPerLsb;
            g[2] = (short)(_sample[4] | (_sample[5] << 8)) * GPerLsb;
            return true;
        }

        private static byte ReadRegister(byte register)
        {
            _register[0] = register;
            var value = new byte[1];
            _sensor.WriteRead(_register, value);
            return value[0];
        }

        private static void WriteRegister(byte register, byte value)
        {
            _write2[0] = register;
            _write2[1] = value;
            _sensor.Write(_write2);
        }
    }
}
