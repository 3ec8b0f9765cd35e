// Package customers is the customer directory: per customer (by the dense
// id the RFM engine gives the external customer id) the contact points a
// campaign reaches them through — phones for call and sms, e-mails for
// email, the postal address for mail — plus name, region, time zones of
// the phones (for calling windows) and the day of the last inquiry (for
// the established-business-relationship rule).
//
// A Directory is a published, immutable view: the writer builds the next
// one with a Builder (copy-on-write per chunk of customers), readers keep
// the view they loaded for as long as they need it. Beside the rows a
// view holds bitmaps of the customers that have a contact point of each
// kind and of the customers per time-zone group, so "who has no phone"
// and "whose phones are outside calling hours now" are bitmap operations.
//
// The package is pure: no I/O.
package customers
