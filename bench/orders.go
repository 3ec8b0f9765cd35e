package bench

import (
	"context"
	"fmt"
	"io"
	"math"
	"strconv"
)

// OrderScenario describes a synthetic purchase file for the RFM
// benchmarks: Orders orders of about Customers customers over Days days
// ending the day before AsOf, in date order.
//
// The skew is that of real retail files: OneTimeShare of the customers
// buy exactly once (one order in 1/OneTimeShare·(Orders/Customers) is such
// a first-and-last purchase); the other orders go to the remaining
// customers with density ∝ 1/√rank (customer of rank c gets a share ∝
// c^-1/2: a long tail of heavy buyers, the heaviest with ~0.04% of all
// orders); order values are Pareto (minimum 5.00, shape 1.6, capped at
// 50,000.00), so a few customers carry much of the revenue.
type OrderScenario struct {
	Orders       int64
	Customers    int64
	OneTimeShare float64 // of customers
	Days         int     // history length
	StartDay     int64   // first day, days since 1970
	Seed         uint64
}

// DefaultOrderScenario is 100M orders of 10M customers, 40% of them
// one-time buyers, over seven years ending 2026-11-30.
func DefaultOrderScenario(orders, customers int64) OrderScenario {
	return OrderScenario{Orders: orders, Customers: customers, OneTimeShare: 0.4, Days: 7 * 365, StartDay: 20787 - 7*365 + 1, Seed: 42}
}

// AsOfDay is the scoring date: the day after the last order day.
func (sc OrderScenario) AsOfDay() int64 { return sc.StartDay + int64(sc.Days) }

const ordersHeader = "order_id,customer_id,order_date,amount\n"

// OrderLine appends order i's line.
func (sc OrderScenario) appendOrder(dst []byte, i int64) []byte {
	oneTime := int64(float64(sc.Customers) * sc.OneTimeShare)
	heavy := sc.Customers - oneTime
	// Every stride-th order is a one-time buyer's only order.
	stride := int64(math.MaxInt64)
	if oneTime > 0 {
		stride = max(1, sc.Orders/oneTime)
	}
	r := newRNG(sc.Seed, 7, uint64(i))
	var c int64
	if i%stride == 0 && i/stride < oneTime {
		c = heavy + i/stride
	} else {
		u := r.float()
		c = int64(float64(heavy) * u * u)
		if c >= heavy {
			c = heavy - 1
		}
	}
	// Scatter ranks over the id space (a bijection: multiply by a constant
	// coprime with the count), so heavy buyers are not the small ids.
	id := (uint64(c)*2654435761)%uint64(sc.Customers) + 1
	day := sc.StartDay + i*int64(sc.Days)/sc.Orders
	amt := 500.0 / math.Pow(1-r.float(), 1/1.6)
	cents := min(int64(amt), 5_000_000)
	dst = strconv.AppendInt(dst, i+1, 10)
	dst = append(dst, ',')
	dst = strconv.AppendUint(dst, id, 10)
	dst = append(dst, ',')
	dst = appendDate(dst, day)
	dst = append(dst, ',')
	dst = strconv.AppendInt(dst, cents/100, 10)
	dst = append(dst, '.', byte('0'+cents%100/10), byte('0'+cents%10), '\n')
	return dst
}

func appendDate(dst []byte, day int64) []byte {
	// civil_from_days (Howard Hinnant).
	z := day + 719468
	era := z / 146097
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if m > 12 {
		m -= 12
		y++
	}
	return append(dst, byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-',
		byte('0'+m/10), byte('0'+m%10), '-', byte('0'+d/10), byte('0'+d%10))
}

// OrderStats counts what WriteOrders wrote.
type OrderStats struct{ Orders int64 }

// WriteOrders writes the whole file, header included, generating lines on
// workers goroutines.
func WriteOrders(ctx context.Context, w io.Writer, sc OrderScenario, workers int) (int64, error) {
	if sc.Orders <= 0 || sc.Customers <= 0 || sc.Customers > sc.Orders {
		return 0, fmt.Errorf("bench: %d orders of %d customers", sc.Orders, sc.Customers)
	}
	if _, err := io.WriteString(w, ordersHeader); err != nil {
		return 0, err
	}
	n, _, err := writeOrdered(ctx, w, sc.Orders, workers, func(dst []byte, from, to int64, s *OrderStats) []byte {
		for i := from; i < to; i++ {
			dst = sc.appendOrder(dst, i)
		}
		s.Orders += to - from
		return dst
	}, func(total, chunk *OrderStats) { total.Orders += chunk.Orders })
	return n + int64(len(ordersHeader)), err
}
